//! Demo data for the local stack: the catalogue of an outdoor and sports retailer, three months
//! of web, CCTV and social interactions, the behavioural patterns those interactions show, a
//! small knowledge base, and a relevance set for search-quality tests.
//!
//! Everything here is pure and deterministic: the same call returns the same data on every run
//! and every machine. Randomness comes from [`Rng`], a seeded xorshift64* generator, so no
//! `rand` crate is involved and the output cannot drift with a dependency upgrade.
//!
//! The interaction generator encodes a few assumptions, and [`patterns`] measures them back from
//! the generated data, so the seeded patterns are true of the seeded interactions:
//! - the channel mix is about 55% web, 30% CCTV, 15% social;
//! - stores are about twice as busy per day at weekends as on weekdays, and only record events
//!   during opening hours (Monday to Saturday 9:00-21:00, Sunday 10:00-18:00);
//! - web traffic peaks in the evening (18:00-23:00 UTC);
//! - outerwear demand rises from August to October while camping fades after the summer;
//! - dwell times are longest at the climbing wall and the footwear try-on benches.

use serde_json::{json, Value};

/// Seed `crow-seed` uses for [`interactions`], and that [`patterns`] measures.
pub const DEMO_SEED: u64 = 0x00C0_FFEE_2026_1101;
/// Interactions `crow-seed` ingests, and that [`patterns`] measures.
pub const DEMO_INTERACTIONS: usize = 3000;
/// Days of history before [`WINDOW_END`].
pub const WINDOW_DAYS: i64 = 90;
/// End of the interaction window (exclusive): 2026-11-01T00:00:00Z, in Unix seconds.
pub const WINDOW_END: i64 = days_from_civil(2026, 11, 1) * 86_400;
/// Start of the interaction window (inclusive): 2026-08-03T00:00:00Z, a Monday.
pub const WINDOW_START: i64 = WINDOW_END - WINDOW_DAYS * 86_400;

pub const CATEGORIES: [&str; 8] = [
    "Footwear",
    "Outerwear",
    "Backpacks",
    "Camping",
    "Climbing",
    "Cycling",
    "Accessories",
    "Nutrition",
];
pub const BRANDS: [&str; 5] = ["Ridgeline", "Northvale", "Talus", "Kestrel", "Bramble Peak"];
/// Channels, with their share of generated interactions.
pub const CHANNELS: [(&str, f64); 3] = [("web", 0.55), ("cctv", 0.30), ("social", 0.15)];
/// Interaction kinds of each channel.
pub const WEB_KINDS: [&str; 4] = ["page_view", "add_to_cart", "purchase", "search"];
pub const CCTV_KINDS: [&str; 3] = ["footfall", "dwell", "shelf_interaction"];
pub const SOCIAL_KINDS: [&str; 3] = ["mention", "review", "comment"];

// ---------------------------------------------------------------------------------------------
// Deterministic randomness and calendar arithmetic
// ---------------------------------------------------------------------------------------------

/// xorshift64* (Vigna), seeded through one splitmix64 step so that nearby seeds diverge at once.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(if z == 0 { 0x2545_F491_4F6C_DD1D } else { z })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.unit() * n as f64) as usize).min(n - 1)
    }

    /// Uniform in lo..=hi.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// An index drawn with probability proportional to its weight.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm).
pub const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DDTHH:MM:SSZ` of Unix seconds.
pub fn rfc3339(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// Day of the week of a day count since 1970-01-01: 0 = Monday .. 6 = Sunday.
fn weekday(days: i64) -> usize {
    (days + 3).rem_euclid(7) as usize
}

const WEEKDAY_NAMES: [&str; 7] =
    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

// ---------------------------------------------------------------------------------------------
// Catalogue
// ---------------------------------------------------------------------------------------------

struct Spec {
    sku: &'static str,
    name: &'static str,
    category: usize,
    brand: &'static str,
    price_cents: i64,
    tags: &'static [&'static str],
    description: &'static str,
}

const fn p(
    sku: &'static str,
    name: &'static str,
    category: usize,
    brand: &'static str,
    price_cents: i64,
    tags: &'static [&'static str],
    description: &'static str,
) -> Spec {
    Spec { sku, name, category, brand, price_cents, tags, description }
}

const FOOTWEAR: usize = 0;
const OUTERWEAR: usize = 1;
const BACKPACKS: usize = 2;
const CAMPING: usize = 3;
const CLIMBING: usize = 4;
const CYCLING: usize = 5;
const ACCESSORIES: usize = 6;
const NUTRITION: usize = 7;

/// Five products per category; within a category the first is the best seller.
const PRODUCTS: [Spec; 40] = [
    p("FW-TRAIL-001", "Ridgeline Scree Runner Trail Shoe", FOOTWEAR, "Ridgeline", 13_900, &["running", "trail", "lightweight"],
        "A nimble trail runner weighing 280 g per shoe (US men's 9), with 5 mm multidirectional lugs and a flexible rock plate for technical singletrack. The engineered mesh upper drains fast after stream crossings, and the 6 mm heel-to-toe drop suits midfoot strikers."),
    p("FW-HIKE-002", "Northvale Granite Mid GTX Hiking Boot", FOOTWEAR, "Northvale", 21_900, &["hiking", "waterproof", "boots"],
        "Full-grain nubuck leather boot with a waterproof, breathable membrane and a mid-height collar that locks the ankle on loose descents. A dual-density EVA midsole and deep-lugged rubber outsole make it a dependable partner for multi-day backpacking under a heavy load; 590 g per boot."),
    p("FW-APPR-003", "Talus Approach Pro", FOOTWEAR, "Talus", 15_900, &["approach", "scrambling"],
        "Suede approach shoe, 420 g, with a sticky climbing-grade rubber toe zone for edging on slabs during scrambles and walks in to the crag. Lace-to-toe fit and a heel clip-in loop let you hang it from a harness on multi-pitch routes."),
    p("FW-WINT-004", "Kestrel Frostline Insulated Winter Boot", FOOTWEAR, "Kestrel", 24_900, &["winter", "insulated", "snow"],
        "Seam-sealed winter boot with 200 g synthetic insulation and a removable wool-felt liner, rated for comfort down to -30 °C. The cold-flexible rubber outsole grips packed snow and ice, and a built-in gaiter ring keeps powder out."),
    p("FW-SAND-005", "Bramble Peak River Sandal", FOOTWEAR, "Bramble Peak", 7_900, &["sandals", "water", "summer"],
        "Quick-drying polyester webbing sandal with a siped outsole that holds on wet, algae-covered rocks. At 210 g it doubles as a camp shoe and is made for river crossings, canyoneering and hot summer days."),
    p("OW-SHELL-001", "Northvale Stormcrest 3L Rain Shell", OUTERWEAR, "Northvale", 32_900, &["rain", "waterproof", "shell"],
        "Three-layer waterproof-breathable hard shell rated to a 20,000 mm hydrostatic head, with taped seams, pit zips for venting and a helmet-compatible hood. It weighs 340 g and packs into a stuff sack for alpine days when storms roll in."),
    p("OW-DOWN-002", "Ridgeline Emberlite 800 Down Jacket", OUTERWEAR, "Ridgeline", 28_900, &["down", "insulation", "packable"],
        "Ultralight puffer filled with 800-fill-power goose down certified to the Responsible Down Standard, inside a 10-denier ripstop shell. It compresses into its own chest pocket, weighs 310 g and adds serious warmth at cold belays and frosty campsites."),
    p("OW-FLEE-003", "Talus Gridline Fleece Midlayer", OUTERWEAR, "Talus", 9_900, &["fleece", "midlayer"],
        "Breathable 250 g grid-backed fleece pullover with a half zip and thumb loops, designed to move sweat during high-output ski touring, running and winter hiking. Layers neatly under a shell and dries in minutes."),
    p("OW-SOFT-004", "Kestrel Windward Softshell", OUTERWEAR, "Kestrel", 17_900, &["softshell", "windproof", "stretch"],
        "Four-way stretch softshell jacket, 420 g, that blocks gusts while breathing far better than a hard shell. A durable water-repellent finish sheds light showers and snow, and articulated arms never ride up when reaching for holds."),
    p("OW-PARK-005", "Bramble Peak Harbour Insulated Parka", OUTERWEAR, "Bramble Peak", 25_900, &["parka", "winter", "city"],
        "Thigh-length winter parka with 150 g of recycled synthetic insulation that stays warm when damp, a fleece-lined hood and fur-free trim. A two-way zip and fleece-lined hand pockets make it the go-to coat for icy commutes and city winters."),
    p("BP-DAY-001", "Talus Summit 22 Daypack", BACKPACKS, "Talus", 10_900, &["daypack", "hiking"],
        "A 22-litre daypack with a ventilated mesh back panel, a hydration sleeve for a 3 L reservoir and a padded hip belt with zip pockets. At 780 g it carries lunch, layers and a first-aid kit on summit days."),
    p("BP-TREK-002", "Northvale Longtrail 65 Backpacking Pack", BACKPACKS, "Northvale", 29_900, &["backpacking", "trekking", "expedition"],
        "A 65-litre trekking pack with an adjustable torso length, aluminium stay frame and load lifters that carry up to 25 kg comfortably on week-long routes. It includes an integrated rain cover, a sleeping bag compartment and a front stretch pocket."),
    p("BP-ULTR-003", "Ridgeline Featherweight 40 Ultralight Pack", BACKPACKS, "Ridgeline", 31_900, &["ultralight", "thru-hiking"],
        "Frameless 40-litre roll-top pack made from Dyneema composite fabric, weighing just 620 g. Built for thru-hikers counting every gram, with a removable foam back pad and mesh side pockets for bottles."),
    p("BP-COMM-004", "Kestrel Metro 28 Commuter Backpack", BACKPACKS, "Kestrel", 12_900, &["commuter", "laptop", "urban"],
        "Weatherproof 28-litre commuter bag with a suspended sleeve for a 16-inch laptop, water-resistant zips and reflective trims for dark rides to work. A clamshell opening makes packing office kit simple."),
    p("BP-HYDR-005", "Bramble Peak Flowline Hydration Vest", BACKPACKS, "Bramble Peak", 13_900, &["running", "hydration", "vest"],
        "An 8-litre running vest that fits like a shirt, with two 500 ml soft flasks on the chest and stash pockets for gels and a phone. Designed for ultramarathons and long trail runs without bounce."),
    p("CP-TENT-001", "Northvale Skyhaven 2 Backpacking Tent", CAMPING, "Northvale", 44_900, &["tent", "backpacking", "two-person"],
        "Freestanding two-person tent weighing 1.6 kg, with two doors, two vestibules and colour-coded pole clips for a three-minute pitch. The silicone-coated nylon fly sheds wind and rain through three seasons."),
    p("CP-SLBG-002", "Ridgeline Hearth -7 Sleeping Bag", CAMPING, "Ridgeline", 32_900, &["sleeping-bag", "down", "three-season"],
        "Mummy-shaped sleeping bag filled with 650-fill-power down, with a comfort rating of -7 °C (20 °F) and a draft collar for cold nights in the mountains. It packs to the size of a loaf of bread and weighs 1.1 kg."),
    p("CP-STOV-003", "Talus Blaze Canister Stove", CAMPING, "Talus", 5_900, &["stove", "cooking"],
        "A 78 g canister stove with a piezo igniter and foldable pot supports that boils a litre of water in 3.5 minutes. Fine simmer control handles everything from porridge to pasta at camp."),
    p("CP-PAD-004", "Kestrel Cloudrest Insulated Sleeping Pad", CAMPING, "Kestrel", 14_900, &["sleeping-pad", "camping", "insulated"],
        "Inflatable 7 cm air pad with an R-value of 4.2 for three-season and shoulder-season ground insulation. It weighs 480 g, inflates in 12 breaths with the pump sack and stays quiet when you roll over."),
    p("CP-LAMP-005", "Bramble Peak Glowworm Lantern", CAMPING, "Bramble Peak", 4_500, &["lantern", "lighting", "camping"],
        "Rechargeable LED camp lantern putting out 300 lumens of warm light, with a USB-C port that doubles as a power bank for your phone. Collapsible silicone body, hanging hook and up to 40 hours on the low setting."),
    p("CL-HARN-001", "Talus Crux Climbing Harness", CLIMBING, "Talus", 7_900, &["harness", "climbing"],
        "All-round sit harness with four gear loops, adjustable leg loops and a belay loop tested to 15 kN, suited to sport routes, gym sessions and trad climbing. It weighs 340 g."),
    p("CL-SHOE-002", "Ridgeline Edgemaster Climbing Shoe", CLIMBING, "Ridgeline", 16_900, &["climbing-shoes", "bouldering"],
        "Aggressively downturned climbing shoe with 4 mm sticky rubber, a slingshot heel rand and a single velcro closure for fast on-off between boulder problems. Best for steep overhangs, hard sport projects and indoor bouldering."),
    p("CL-ROPE-003", "Northvale Vertex 9.5 mm Dynamic Rope", CLIMBING, "Northvale", 22_900, &["rope", "climbing", "dry-treated"],
        "A 60 m single dynamic rope, 9.5 mm in diameter, with a dry treatment on core and sheath for wet crags and ice. UIAA rated for 7 falls, with a middle mark for lowering and rappels."),
    p("CL-HELM-004", "Kestrel Halo Climbing Helmet", CLIMBING, "Kestrel", 8_900, &["helmet", "climbing"],
        "Lightweight EPS foam helmet, 230 g, certified for climbing and mountaineering, with four headlamp clips and big vents for hot approaches. It protects from rockfall on multi-pitch and alpine routes."),
    p("CL-CHLK-005", "Bramble Peak Boulder Chalk Bucket", CLIMBING, "Bramble Peak", 3_400, &["chalk", "bouldering"],
        "Wide-mouth chalk bucket with a drawstring closure, brush holder and 200 g of fine magnesium carbonate chalk included. It stands upright at the base of boulder problems to keep sweaty hands dry."),
    p("CY-HELM-001", "Kestrel Aeroline MIPS Road Helmet", CYCLING, "Kestrel", 17_900, &["cycling", "helmet", "mips"],
        "A 260 g road cycling helmet with a MIPS liner that reduces rotational forces in a crash, 18 vents and a dial-fit cradle. Magnetic buckle and a sunglasses dock for long summer rides."),
    p("CY-GLOV-002", "Talus Gravel Grip Cycling Gloves", CYCLING, "Talus", 3_900, &["cycling", "gloves"],
        "Full-finger cycling gloves with 3 mm gel padding over the ulnar nerve, touchscreen-friendly fingertips and a silicone palm print for grip on rough gravel roads. Breathable mesh back for warm days."),
    p("CY-LGHT-003", "Ridgeline Beacon 1200 Bike Light Set", CYCLING, "Ridgeline", 8_900, &["lights", "cycling", "safety"],
        "Front and rear light set: a 1200-lumen headlight with a cut-off beam and a 100-lumen daytime-visible tail light, both charged by USB-C and rated IPX6. Tool-free mounts fit round and aero bars."),
    p("CY-JERS-004", "Northvale Breakaway Merino Cycling Jersey", CYCLING, "Northvale", 11_900, &["cycling", "merino", "jersey"],
        "Short-sleeve cycling jersey knitted from a merino-polyester blend that resists odour on multi-day tours, with three rear pockets and a zipped valuables pocket. Race fit with a silicone hem gripper, 160 g in size M."),
    p("CY-BAG-005", "Bramble Peak Bikepacking Frame Bag", CYCLING, "Bramble Peak", 6_900, &["bikepacking", "bags"],
        "A 4.5-litre welded, waterproof frame bag that straps into the main triangle for tools, snacks and a spare tube on bikepacking trips. It fits most medium and large frames."),
    p("AC-HEAD-001", "Talus Nightjar 450 Headlamp", ACCESSORIES, "Talus", 5_400, &["headlamp", "lighting"],
        "A 68 g rechargeable headlamp with 450 lumens, a red-light mode that preserves night vision and a lock-out that stops it switching on in your pack. Runs 5 hours on high and 60 hours on low."),
    p("AC-SOCK-002", "Ridgeline Merino Hiker Socks 2-Pack", ACCESSORIES, "Ridgeline", 3_200, &["socks", "merino", "hiking"],
        "Mid-cushioned crew socks in 70% merino wool with nylon reinforcement at heel and toe to help prevent blisters on long days. Naturally odour-resistant, two pairs per pack."),
    p("AC-POLE-003", "Northvale Carbon Trekking Poles", ACCESSORIES, "Northvale", 15_900, &["poles", "trekking", "carbon"],
        "Pair of three-section carbon fibre trekking poles with cork grips and flick-locks, 440 g the pair. They take pressure off the knees on steep descents and fold to 62 cm for the pack."),
    p("AC-BOTL-004", "Kestrel Thermal Steel Bottle 750 ml", ACCESSORIES, "Kestrel", 3_600, &["bottle", "insulated"],
        "Double-wall vacuum-insulated stainless steel bottle that keeps drinks hot for 12 hours and cold for 24. Leakproof lid with a carry loop, 750 ml capacity."),
    p("AC-SUNG-005", "Bramble Peak Glacier Sunglasses", ACCESSORIES, "Bramble Peak", 12_900, &["sunglasses", "mountaineering"],
        "Category 4 mirrored lenses with removable leather side shields cut glare at altitude on snowfields and ice. A wrap frame with grippy nose pads stays put on high-altitude mountaineering trips."),
    p("NU-GEL-001", "Talus Fuel Energy Gel Box of 24", NUTRITION, "Talus", 4_800, &["energy", "gel", "running"],
        "Salted-caramel energy gels delivering 25 g of fast carbohydrate in a 2:1 glucose-fructose ratio, caffeine-free. Easy to swallow at race pace, with 24 sachets per box."),
    p("NU-BAR-002", "Ridgeline Trailbar Oat and Almond 12-Pack", NUTRITION, "Ridgeline", 3_000, &["snacks", "vegan"],
        "Chewy vegan oat and almond bar with 250 kcal and 8 g of plant protein per bar, made for summit snacks and long days in the saddle. Twelve bars per box."),
    p("NU-ELEC-003", "Northvale Electrolyte Drink Tabs 4-Pack", NUTRITION, "Northvale", 2_800, &["hydration", "electrolytes"],
        "Effervescent lemon-lime tablets with 300 mg of sodium plus potassium and magnesium to replace what you sweat out and ward off cramps. Four tubes of 10 tabs, and each tab makes 500 ml."),
    p("NU-MEAL-004", "Kestrel Trail Kitchen Freeze-Dried Chili", NUTRITION, "Kestrel", 1_400, &["meals", "freeze-dried"],
        "Two-serving freeze-dried bean and beef chili with 800 kcal: add 500 ml of boiling water, stir and wait 10 minutes. Light enough for backpacking and rehydrated in its own pouch."),
    p("NU-PROT-005", "Bramble Peak Recovery Protein Shake", NUTRITION, "Bramble Peak", 3_900, &["protein", "recovery"],
        "Whey protein recovery powder with 20 g of protein and 30 g of carbohydrate per serving, chocolate flavour, 15 servings. Mix with water after hard training sessions or big mountain days."),
];

/// The demo catalogue: 40 products in 8 categories, as `POST /api/v1/products` bodies.
pub fn catalogue() -> Vec<Value> {
    PRODUCTS
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "sku": s.sku,
                "category": CATEGORIES[s.category],
                "brand": s.brand,
                "priceCents": s.price_cents,
                "currency": "USD",
                "tags": s.tags,
                "description": s.description,
            })
        })
        .collect()
}

/// The SKUs of [`catalogue`], in order.
pub fn catalogue_skus() -> Vec<String> {
    PRODUCTS.iter().map(|s| s.sku.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// Interactions
// ---------------------------------------------------------------------------------------------

/// How each category shows up in generated events.
struct CategoryInfo {
    /// Store zone (CCTV attributes).
    zone: &'static str,
    /// Where in the store, as staff would say it; always names the category.
    spot: &'static str,
    /// Relative popularity.
    weight: f64,
    /// Dwell time range in seconds.
    dwell: (i64, i64),
    /// Shopper searches, one per product of the category (same order as the catalogue).
    searches: [&'static str; 5],
    praise: [&'static str; 2],
    complaints: [&'static str; 2],
}

const INFO: [CategoryInfo; 8] = [
    CategoryInfo {
        zone: "A1",
        spot: "footwear try-on benches",
        weight: 1.4,
        dwell: (60, 240),
        searches: [
            "trail running shoes",
            "waterproof hiking boots",
            "approach shoes",
            "winter boots womens",
            "river sandals",
        ],
        praise: [
            "grippy on wet rock and comfortable from the first mile",
            "no blisters after a 20-mile day",
        ],
        complaints: ["the toe box is narrow for wide feet", "the laces keep coming undone"],
    },
    CategoryInfo {
        zone: "A2",
        spot: "outerwear rail by the window",
        weight: 1.2,
        dwell: (30, 150),
        searches: [
            "rain jacket",
            "down jacket 800 fill",
            "fleece midlayer",
            "softshell jacket men",
            "winter parka",
        ],
        praise: ["kept me bone dry through a full day of sleet", "warm without feeling bulky"],
        complaints: ["the hood does not cinch down well in wind", "the sleeves run short"],
    },
    CategoryInfo {
        zone: "B1",
        spot: "backpacks fitting station",
        weight: 1.0,
        dwell: (40, 180),
        searches: [
            "daypack 20l",
            "65l backpacking pack",
            "ultralight backpack",
            "laptop backpack",
            "hydration vest",
        ],
        praise: ["carries 15 kg without any shoulder pain", "the hip belt pockets fit a big phone"],
        complaints: [
            "the side pockets are hard to reach while walking",
            "the back panel gets sweaty on hot days",
        ],
    },
    CategoryInfo {
        zone: "B2",
        spot: "camping tent display",
        weight: 1.0,
        dwell: (30, 150),
        searches: [
            "2 person tent",
            "sleeping bag 20 degree",
            "camp stove",
            "sleeping pad r value",
            "camping lantern",
        ],
        praise: ["pitched in three minutes in the dark", "packs down really small"],
        complaints: ["condensation built up overnight", "the stuff sack is far too tight"],
    },
    CategoryInfo {
        zone: "C1",
        spot: "climbing wall",
        weight: 0.8,
        dwell: (90, 300),
        searches: [
            "climbing harness",
            "bouldering shoes",
            "dynamic rope 60m",
            "climbing helmet",
            "chalk bucket",
        ],
        praise: [
            "edges like a dream on small crimps",
            "comfortable enough for long multi-pitch days",
        ],
        complaints: ["the sizing runs very small", "it felt stiff for the first few sessions"],
    },
    CategoryInfo {
        zone: "C2",
        spot: "cycling workshop counter",
        weight: 0.8,
        dwell: (30, 140),
        searches: [
            "mips bike helmet",
            "cycling gloves",
            "bike lights",
            "merino cycling jersey",
            "bikepacking frame bag",
        ],
        praise: ["stays put even on rough gravel descents", "well made and easy to live with"],
        complaints: ["fiddly to adjust with cold hands", "a bit pricey for what it is"],
    },
    CategoryInfo {
        zone: "D1",
        spot: "accessories stand by the tills",
        weight: 1.1,
        dwell: (15, 90),
        searches: [
            "rechargeable headlamp",
            "merino hiking socks",
            "carbon trekking poles",
            "insulated water bottle",
            "glacier glasses",
        ],
        praise: ["survived a whole season of abuse", "a small thing that makes every trip nicer"],
        complaints: ["the finish scratched after a week", "smaller than it looked online"],
    },
    CategoryInfo {
        zone: "D2",
        spot: "nutrition shelf",
        weight: 0.7,
        dwell: (15, 75),
        searches: [
            "energy gels",
            "vegan oat bars",
            "electrolyte tablets",
            "freeze dried meals",
            "recovery protein",
        ],
        praise: [
            "easy on the stomach during a marathon",
            "tastes great even when you are exhausted",
        ],
        complaints: [
            "too sweet after the third one",
            "the packaging is hard to open with cold hands",
        ],
    },
];

const STORES: [(&str, &str, f64); 3] =
    [("denver", "Denver", 0.45), ("seattle", "Seattle", 0.35), ("boulder", "Boulder", 0.20)];
const PLACES: [&str; 8] = [
    "Mount Sanitas",
    "the Flatirons",
    "Mount Si",
    "the Maroon Bells loop",
    "Rattlesnake Ledge",
    "Eldorado Canyon",
    "the Colorado Trail",
    "the Skyline Trail on Rainier",
];
const PLATFORMS: [&str; 5] = ["instagram", "tiktok", "reddit", "x", "youtube"];
const DEVICES: [(&str, f64); 3] = [("mobile", 0.62), ("desktop", 0.31), ("tablet", 0.07)];

/// A product as the generator sees it.
struct Item {
    sku: String,
    name: String,
    category: usize,
    /// Position within its category in the catalogue (0..5), for the matching search phrase.
    slot: usize,
    price_cents: i64,
    popularity: f64,
}

fn items(skus: &[String]) -> Vec<Item> {
    skus.iter()
        .map(|sku| match PRODUCTS.iter().position(|s| s.sku == sku) {
            Some(i) => {
                let s = &PRODUCTS[i];
                let slot = i % 5;
                Item {
                    sku: sku.clone(),
                    name: s.name.to_string(),
                    category: s.category,
                    slot,
                    price_cents: s.price_cents,
                    popularity: INFO[s.category].weight / (1.0 + 0.35 * slot as f64),
                }
            }
            // A SKU outside the catalogue: a stable category from its bytes, its SKU as name.
            None => {
                let h =
                    sku.bytes().fold(0usize, |a, b| a.wrapping_mul(31).wrapping_add(b as usize));
                Item {
                    sku: sku.clone(),
                    name: sku.clone(),
                    category: h % 8,
                    slot: h / 8 % 5,
                    price_cents: 5_000,
                    popularity: 0.5,
                }
            }
        })
        .collect()
}

/// Seasonal demand of a category on day `d` of the window (0 = 3 August, 89 = 31 October).
fn season(category: usize, d: i64) -> f64 {
    let t = d as f64 / (WINDOW_DAYS - 1) as f64;
    match category {
        OUTERWEAR => 0.5 + 1.5 * t,
        CAMPING => 1.6 - 1.0 * t,
        FOOTWEAR => 0.9 + 0.3 * t,
        _ => 1.0,
    }
}

/// Relative volume of a channel on a day of the week (0 = Monday).
fn day_weight(channel: usize, wd: usize, d: i64) -> f64 {
    let t = d as f64 / (WINDOW_DAYS - 1) as f64;
    match channel {
        // Web grows slowly over the quarter, with a slightly quieter Saturday.
        0 => (0.85 + 0.3 * t) * if wd == 5 { 0.9 } else { 1.0 },
        // Stores: twice as busy at weekends.
        1 => [0.75, 0.85, 0.85, 0.9, 1.1, 2.0, 1.7][wd],
        // Social: a Sunday bump when people post their weekend trips.
        _ => {
            if wd == 6 {
                1.3
            } else {
                1.0
            }
        }
    }
}

/// Relative volume of a channel per hour of the day (UTC, used as store-local time).
fn hour_weights(channel: usize, wd: usize) -> [f64; 24] {
    let mut w = [0.0; 24];
    for (h, x) in w.iter_mut().enumerate() {
        *x = match channel {
            0 => match h {
                0..=6 => 0.2,
                7..=11 => 0.6,
                12..=17 => 0.95,
                18..=22 => 2.5,
                _ => 1.0,
            },
            1 => {
                let (open, close) = if wd == 6 { (10, 18) } else { (9, 21) };
                if h < open || h >= close {
                    0.0
                } else {
                    match h {
                        9..=11 => 0.6,
                        12..=13 => 1.2,
                        14..=16 => 1.0,
                        17..=19 => 1.4,
                        _ => 0.6,
                    }
                }
            }
            _ => match h {
                0..=6 => 0.1,
                7..=17 => 0.8,
                _ => 1.5,
            },
        };
    }
    w
}

/// One generated interaction, with the facts the pattern measurements need.
struct Event {
    ts: i64,
    day: i64,
    hour: usize,
    channel: usize,
    kind: &'static str,
    item: usize,
    qty: i64,
    duration: i64,
    rating: i64,
    content: String,
    attributes: Value,
}

fn fill(template: &str, item: &Item) -> String {
    template.replace("{name}", &item.name).replace("{category}", CATEGORIES[item.category])
}

fn generate(skus: &[String], n: usize, seed: u64) -> Vec<Event> {
    assert!(!skus.is_empty(), "interactions need at least one SKU");
    let items = items(skus);
    let mut rng = Rng::new(seed);
    let channel_weights: Vec<f64> = CHANNELS.iter().map(|c| c.1).collect();
    let store_weights: Vec<f64> = STORES.iter().map(|s| s.2).collect();
    let device_weights: Vec<f64> = DEVICES.iter().map(|d| d.1).collect();
    let start_day = WINDOW_START / 86_400;
    let mut events = Vec::with_capacity(n);
    for _ in 0..n {
        let channel = rng.weighted(&channel_weights);
        // Day by rejection sampling against the channel's weekly shape.
        let max_w = (0..WINDOW_DAYS)
            .map(|d| day_weight(channel, weekday(start_day + d), d))
            .fold(0.0, f64::max);
        let day = loop {
            let d = rng.below(WINDOW_DAYS as usize) as i64;
            if rng.unit() * max_w < day_weight(channel, weekday(start_day + d), d) {
                break d;
            }
        };
        let wd = weekday(start_day + day);
        let hour = rng.weighted(&hour_weights(channel, wd));
        let ts = WINDOW_START
            + day * 86_400
            + hour as i64 * 3600
            + rng.range(0, 59) * 60
            + rng.range(0, 59);
        let weights: Vec<f64> =
            items.iter().map(|it| it.popularity * season(it.category, day)).collect();
        let idx = rng.weighted(&weights);
        let item = &items[idx];
        let info = &INFO[item.category];
        let (mut qty, mut duration, mut rating) = (0, 0, 0);
        let (kind, content, attributes) = match channel {
            0 => {
                let kind = WEB_KINDS[rng.weighted(&[0.62, 0.13, 0.05, 0.20])];
                let device = DEVICES[rng.weighted(&device_weights)].0;
                let session = format!("s-{:08x}", rng.next_u64() as u32);
                match kind {
                    "page_view" => {
                        let t = *rng.pick(&[
                            "Viewed the {name} product page",
                            "Opened {name} from the {category} listing",
                            "Browsed {name}, checked size and colour options",
                            "Product page: {name}, scrolled down to the reviews",
                        ]);
                        (
                            kind,
                            fill(t, item),
                            json!({ "sku": item.sku, "device": device, "sessionId": session }),
                        )
                    }
                    "add_to_cart" => {
                        qty = if rng.unit() < 0.85 { 1 } else { 2 };
                        let text = if qty == 1 {
                            fill("Added {name} to the cart", item)
                        } else {
                            fill("Added 2 x {name} to the cart", item)
                        };
                        (
                            kind,
                            text,
                            json!({ "sku": item.sku, "device": device, "sessionId": session, "quantity": qty }),
                        )
                    }
                    "purchase" => {
                        qty = if rng.unit() < 0.8 { 1 } else { rng.range(2, 3) };
                        let text = format!("Order placed: {qty} x {}", item.name);
                        let order = format!("ord-{:06}", rng.below(1_000_000));
                        (
                            kind,
                            text,
                            json!({
                                "sku": item.sku, "device": device, "sessionId": session, "quantity": qty,
                                "orderId": order, "orderValueCents": qty * item.price_cents,
                            }),
                        )
                    }
                    _ => {
                        let query = info.searches[item.slot];
                        let results = rng.range(3, 40);
                        (
                            kind,
                            query.to_string(),
                            json!({ "sku": item.sku, "device": device, "sessionId": session, "results": results }),
                        )
                    }
                }
            }
            1 => {
                let kind = CCTV_KINDS[rng.weighted(&[0.40, 0.35, 0.25])];
                let store = STORES[rng.weighted(&store_weights)].0;
                let camera = format!("cam-{}-{}", info.zone.to_lowercase(), rng.range(1, 2));
                match kind {
                    "footfall" => {
                        let base = if wd >= 5 { 18 } else { 9 };
                        let count = base + rng.range(0, base);
                        let text =
                            format!("{count} shoppers passed the {} in 15 minutes", info.spot);
                        (
                            kind,
                            text,
                            json!({ "store": store, "zone": info.zone, "camera": camera, "count": count, "windowMin": 15 }),
                        )
                    }
                    "dwell" => {
                        duration = rng.range(info.dwell.0, info.dwell.1);
                        let text = match rng.below(3) {
                            0 => format!("Customer lingered at the {} for {duration} s", info.spot),
                            1 => format!(
                                "Shopper spent {duration} s at the {} looking at the {}",
                                info.spot, item.name
                            ),
                            _ => format!(
                                "Couple browsed the {} for {duration} s, handling the {}",
                                info.spot, item.name
                            ),
                        };
                        (
                            kind,
                            text,
                            json!({ "sku": item.sku, "store": store, "zone": info.zone, "camera": camera, "durationSec": duration }),
                        )
                    }
                    _ => {
                        let (action, t) = *rng.pick(&[
                            ("picked_up", "Shopper picked up the {name} and carried it to the till"),
                            ("returned", "Shopper picked up the {name}, read the label and put it back"),
                            ("compared", "Two shoppers compared the {name} with its neighbours in the {category} aisle"),
                        ]);
                        (
                            kind,
                            fill(t, item),
                            json!({ "sku": item.sku, "store": store, "zone": info.zone, "camera": camera, "action": action }),
                        )
                    }
                }
            }
            _ => {
                let kind = SOCIAL_KINDS[rng.weighted(&[0.40, 0.35, 0.25])];
                let platform = *rng.pick(&PLATFORMS);
                match kind {
                    "mention" => {
                        let (sentiment, text) = match rng.below(3) {
                            0 => (
                                "positive",
                                format!(
                                    "Took the {} up {} this weekend: {}",
                                    item.name,
                                    rng.pick(&PLACES),
                                    rng.pick(&info.praise)
                                ),
                            ),
                            1 => (
                                "positive",
                                format!("New kit day! Picked up the {} for the season", item.name),
                            ),
                            _ => (
                                "neutral",
                                format!(
                                    "Spotted the {} on display at the {} store",
                                    item.name,
                                    STORES[rng.weighted(&store_weights)].1
                                ),
                            ),
                        };
                        (
                            kind,
                            text,
                            json!({ "sku": item.sku, "platform": platform, "sentiment": sentiment }),
                        )
                    }
                    "review" => {
                        rating = [5, 4, 3, 2, 1][rng.weighted(&[0.40, 0.30, 0.15, 0.09, 0.06])];
                        let (sentiment, text) = match rating {
                            4 | 5 => (
                                "positive",
                                format!(
                                    "{rating}/5 for the {}: {}",
                                    item.name,
                                    rng.pick(&info.praise)
                                ),
                            ),
                            3 => (
                                "neutral",
                                format!(
                                    "3/5. The {} does the job, but {}",
                                    item.name,
                                    rng.pick(&info.complaints)
                                ),
                            ),
                            _ => (
                                "negative",
                                format!(
                                    "{rating}/5. Disappointed with the {}: {}",
                                    item.name,
                                    rng.pick(&info.complaints)
                                ),
                            ),
                        };
                        (
                            kind,
                            text,
                            json!({ "sku": item.sku, "platform": platform, "sentiment": sentiment, "rating": rating }),
                        )
                    }
                    _ => {
                        let t = *rng.pick(&[
                            "Does the {name} run true to size?",
                            "Is the {name} back in stock? Asking before the weekend",
                            "How does the {name} compare with last season's version?",
                            "Anyone tried the {name} on a multi-day trip? Worth the price?",
                        ]);
                        (
                            kind,
                            fill(t, item),
                            json!({ "sku": item.sku, "platform": platform, "sentiment": "neutral" }),
                        )
                    }
                }
            }
        };
        events.push(Event {
            ts,
            day,
            hour,
            channel,
            kind,
            item: idx,
            qty,
            duration,
            rating,
            content,
            attributes,
        });
    }
    // Event ids follow time, so `demo-000001` is the oldest event.
    events.sort_by_key(|e| e.ts);
    events
}

/// `n` interactions over the [`WINDOW_DAYS`] days before 2026-11-01T00:00:00Z, about
/// products of `skus` (SKUs outside the catalogue get a stable made-up category), as items of
/// `POST /api/v1/interactions/organization/{org}/batch`. Event ids are `demo-000001`.. in time
/// order; the same arguments always give the same interactions.
pub fn interactions(skus: &[String], n: usize, seed: u64) -> Vec<Value> {
    generate(skus, n, seed)
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            json!({
                "eventId": format!("demo-{:06}", i + 1),
                "sourceType": CHANNELS[e.channel].0,
                "kind": e.kind,
                "occurredAt": rfc3339(e.ts),
                "content": e.content,
                "attributes": e.attributes,
            })
        })
        .collect()
}

/// Whole weeks to add to the demo's timestamps so that its window ends at the latest
/// [`WINDOW_END`] weekday boundary at or before `now_secs` (never in the future, never before
/// the fixed window). Whole weeks keep every weekday and hour-of-day shape the patterns measure.
pub fn shift_to(now_secs: i64) -> i64 {
    let week = 7 * 86_400;
    ((now_secs - WINDOW_END).max(0) / week) * week
}

/// `items` (interactions, or patterns) with `occurredAt` / `periodStart` moved by `secs`.
pub fn shifted(items: Vec<Value>, secs: i64) -> Vec<Value> {
    items
        .into_iter()
        .map(|mut v| {
            for field in ["occurredAt", "periodStart"] {
                if let Some(ms) = v[field].as_str().and_then(crow_common::time::parse_iso8601) {
                    v[field] = json!(rfc3339(ms / 1000 + secs));
                }
            }
            v
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Patterns
// ---------------------------------------------------------------------------------------------

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// Confidence from a sample size: 1 - 1/sqrt(n), kept within [0.3, 0.97].
fn confidence(sample: usize) -> f64 {
    round((1.0 - 1.0 / ((sample as f64) + 1.0).sqrt()).clamp(0.3, 0.97), 2)
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

fn pattern(
    period: &str,
    title: String,
    description: String,
    metric: &str,
    value: f64,
    start: &str,
    conf: f64,
) -> Value {
    json!({
        "period": period,
        "title": title,
        "description": description,
        "metric": metric,
        "value": value,
        "periodStart": start,
        "confidence": conf,
    })
}

fn argmax(xs: &[f64]) -> usize {
    xs.iter().enumerate().fold(0, |best, (i, x)| if *x > xs[best] { i } else { best })
}

fn argmin(xs: &[f64]) -> usize {
    xs.iter().enumerate().fold(0, |best, (i, x)| if *x < xs[best] { i } else { best })
}

/// 20 behavioural patterns, measured on the demo interactions ([`DEMO_INTERACTIONS`] events
/// with [`DEMO_SEED`] over the catalogue), as items of
/// `POST /api/v1/patterns/organization/{org}`.
pub fn patterns() -> Vec<Value> {
    let skus = catalogue_skus();
    let items = items(&skus);
    let events = generate(&skus, DEMO_INTERACTIONS, DEMO_SEED);
    let n = events.len();
    let start_day = WINDOW_START / 86_400;
    let of = |channel: usize| events.iter().filter(move |e| e.channel == channel);
    let kind_count = |kind: &str| events.iter().filter(|e| e.kind == kind).count();

    // How often each weekday occurs in the window.
    let mut occurrences = [0f64; 7];
    for d in 0..WINDOW_DAYS {
        occurrences[weekday(start_day + d)] += 1.0;
    }
    let mut cctv_by_weekday = [0f64; 7];
    for e in of(1) {
        cctv_by_weekday[weekday(start_day + e.day)] += 1.0;
    }
    let per_day: Vec<f64> = (0..7).map(|w| cctv_by_weekday[w] / occurrences[w]).collect();
    let weekend = (cctv_by_weekday[5] + cctv_by_weekday[6]) / (occurrences[5] + occurrences[6]);
    let weekdays = cctv_by_weekday[..5].iter().sum::<f64>() / occurrences[..5].iter().sum::<f64>();
    let busiest = argmax(&per_day);
    let quietest = argmin(&per_day);
    let cctv_n = of(1).count();

    let mut web_hours = [0f64; 24];
    for e in of(0) {
        web_hours[e.hour] += 1.0;
    }
    let web_n = of(0).count();
    let evening = web_hours[18..23].iter().sum::<f64>() / web_n as f64;
    let web_peak = argmax(&web_hours);
    let mut cctv_hours = [0f64; 24];
    for e in of(1) {
        cctv_hours[e.hour] += 1.0;
    }
    let cctv_peak = argmax(&cctv_hours);
    let social_n = of(2).count();

    let dwells: Vec<&Event> = events.iter().filter(|e| e.kind == "dwell").collect();
    let avg_dwell = ratio(dwells.iter().map(|e| e.duration as f64).sum(), dwells.len() as f64);
    // Categories by average dwell, longest first.
    let mut dwell_by_category = [(0f64, 0f64); 8];
    for e in &dwells {
        let c = &mut dwell_by_category[items[e.item].category];
        c.0 += e.duration as f64;
        c.1 += 1.0;
    }
    let mut dwell_rank: Vec<usize> = (0..8).collect();
    dwell_rank.sort_by(|a, b| {
        ratio(dwell_by_category[*b].0, dwell_by_category[*b].1)
            .total_cmp(&ratio(dwell_by_category[*a].0, dwell_by_category[*a].1))
    });
    let mut social_by_weekday = [0f64; 7];
    for e in of(2) {
        social_by_weekday[weekday(start_day + e.day)] += 1.0;
    }
    let social_peak =
        argmax(&(0..7).map(|w| social_by_weekday[w] / occurrences[w]).collect::<Vec<_>>());
    let climbing: Vec<&Event> =
        dwells.iter().copied().filter(|e| items[e.item].category == CLIMBING).collect();
    let climbing_dwell =
        ratio(climbing.iter().map(|e| e.duration as f64).sum(), climbing.len() as f64);

    // Category share of all product-tied events, first month (3-31 August) against October.
    let share = |category: usize, days: std::ops::Range<i64>| {
        let window: Vec<&Event> = events.iter().filter(|e| days.contains(&e.day)).collect();
        let hits = window.iter().filter(|e| items[e.item].category == category).count();
        (ratio(hits as f64, window.len() as f64), window.len())
    };
    let august = 0..29;
    let october = 59..WINDOW_DAYS;
    let (ow_aug, aug_n) = share(OUTERWEAR, august.clone());
    let (ow_oct, oct_n) = share(OUTERWEAR, october.clone());
    let (cp_aug, _) = share(CAMPING, august);
    let (cp_oct, _) = share(CAMPING, october);

    let views = kind_count("page_view");
    let carts = kind_count("add_to_cart");
    let purchases: Vec<&Event> = events.iter().filter(|e| e.kind == "purchase").collect();
    let revenue: i64 = purchases.iter().map(|e| e.qty * items[e.item].price_cents).sum();
    let mut units = vec![0i64; items.len()];
    for e in &purchases {
        units[e.item] += e.qty;
    }
    let top =
        units.iter().enumerate().fold(0, |best, (i, u)| if *u > units[best] { i } else { best });
    let mut views_by_category = [0f64; 8];
    for e in events.iter().filter(|e| e.kind == "page_view") {
        views_by_category[items[e.item].category] += 1.0;
    }
    let top_category = argmax(&views_by_category);
    let searches = kind_count("search");
    let reviews: Vec<&Event> = events.iter().filter(|e| e.kind == "review").collect();
    let positive = reviews.iter().filter(|e| e.rating >= 4).count();
    let avg_rating = ratio(reviews.iter().map(|e| e.rating as f64).sum(), reviews.len() as f64);

    let (week, month, day, year) = ("2026-10-26", "2026-10-01", "2026-10-31", "2026-01-01");
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    vec![
        pattern("weekly", "Weekend footfall peak".into(),
            format!("Stores logged {weekend:.1} CCTV events a day on Saturdays and Sundays against {weekdays:.1} on weekdays, {:.2} times as many. Add floor staff from late morning at weekends.", weekend / weekdays),
            "cctv.weekend_weekday_ratio", round(weekend / weekdays, 3), week, confidence(cctv_n)),
        pattern("weekly", format!("{} is the busiest store day", WEEKDAY_NAMES[busiest]),
            format!("{} averages {:.1} in-store events, the most of any day of the week.", WEEKDAY_NAMES[busiest], per_day[busiest]),
            "cctv.busiest_weekday", (busiest + 1) as f64, week, confidence(cctv_n)),
        pattern("weekly", format!("{} is the quietest store day", WEEKDAY_NAMES[quietest]),
            format!("{} averages {:.1} in-store events: a good day for restocking, visual merchandising and staff training.", WEEKDAY_NAMES[quietest], per_day[quietest]),
            "cctv.quietest_weekday", (quietest + 1) as f64, week, confidence(cctv_n)),
        pattern("weekly", "Longest dwell at the climbing wall".into(),
            format!("Shoppers spend {climbing_dwell:.0} s on average at the climbing wall, against {avg_dwell:.0} s across the store; they try shoes on the bouldering wall before buying."),
            "cctv.dwell.climbing_avg_sec", round(climbing_dwell, 1), week, confidence(climbing.len())),
        pattern("weekly", "Average dwell time in store".into(),
            format!("Across {} dwell observations the average stay at a display was {avg_dwell:.0} s, longest at the {} and the {}.", dwells.len(), INFO[dwell_rank[0]].spot, INFO[dwell_rank[1]].spot),
            "cctv.dwell.avg_sec", round(avg_dwell, 1), week, confidence(dwells.len())),
        pattern("daily", "Evening web peak".into(),
            format!("{} of web activity falls between 18:00 and 23:00, when shoppers browse after work; schedule email campaigns and flash sales for early evening.", pct(evening)),
            "web.evening_share", round(evening, 3), day, confidence(web_n)),
        pattern("daily", format!("Web traffic peaks at {web_peak}:00"),
            format!("The busiest hour online is {web_peak}:00-{}:00 with {:.0} events over the quarter.", web_peak + 1, web_hours[web_peak]),
            "web.peak_hour", web_peak as f64, day, confidence(web_n)),
        pattern("daily", format!("In-store rush at {cctv_peak}:00"),
            format!("Cameras record the most activity between {cctv_peak}:00 and {}:00, the after-work rush; keep the tills and the fitting areas staffed.", cctv_peak + 1),
            "cctv.peak_hour", cctv_peak as f64, day, confidence(cctv_n)),
        pattern("daily", "Search share of web activity".into(),
            format!("{} of web events are on-site searches; popular queries name a product type (rain jacket, trail running shoes) more often than a brand.", pct(ratio(searches as f64, web_n as f64))),
            "web.search_share", round(ratio(searches as f64, web_n as f64), 3), day, confidence(web_n)),
        pattern("monthly", "Channel mix".into(),
            format!("Web {}, CCTV {}, social {} of {n} interactions over the quarter.", pct(web_n as f64 / n as f64), pct(cctv_n as f64 / n as f64), pct(social_n as f64 / n as f64)),
            "channel.web_share", round(web_n as f64 / n as f64, 3), month, confidence(n)),
        pattern("monthly", "Social conversation share".into(),
            format!("Social mentions, reviews and comments make up {} of interactions and are busiest on {}s, when people post about their trips.", pct(social_n as f64 / n as f64), WEEKDAY_NAMES[social_peak]),
            "channel.social_share", round(social_n as f64 / n as f64, 3), month, confidence(n)),
        pattern("monthly", "Outerwear demand rising into autumn".into(),
            format!("Outerwear accounts for {} of product interest in October against {} in August ({:.2} times). Move rain shells and down jackets to the front of the store.", pct(ow_oct), pct(ow_aug), ratio(ow_oct, ow_aug)),
            "category.outerwear.oct_vs_aug", round(ratio(ow_oct, ow_aug), 3), month, confidence(aug_n.min(oct_n))),
        pattern("monthly", "Camping demand fading after summer".into(),
            format!("Camping fell from {} of product interest in August to {} in October; clear summer tent stock before winter.", pct(cp_aug), pct(cp_oct)),
            "category.camping.oct_vs_aug", round(ratio(cp_oct, cp_aug), 3), month, confidence(aug_n.min(oct_n))),
        pattern("monthly", "Web conversion rate".into(),
            format!("{} purchases for {views} product page views: a conversion of {}.", purchases.len(), pct(ratio(purchases.len() as f64, views as f64))),
            "web.purchase_per_view", round(ratio(purchases.len() as f64, views as f64), 3), month, confidence(views)),
        pattern("monthly", "Cart-to-purchase rate".into(),
            format!("{} purchases for {carts} add-to-cart events ({}); a reminder email for abandoned carts could recover part of the rest.", purchases.len(), pct(ratio(purchases.len() as f64, carts as f64))),
            "web.cart_to_purchase", round(ratio(purchases.len() as f64, carts as f64), 3), month, confidence(carts)),
        pattern("monthly", "Average order value".into(),
            format!("Online orders average ${:.2} over {} orders.", ratio(revenue as f64, purchases.len() as f64) / 100.0, purchases.len()),
            "web.avg_order_value_usd", round(ratio(revenue as f64, purchases.len() as f64) / 100.0, 2), month, confidence(purchases.len())),
        pattern("monthly", format!("Top seller: {}", items[top].name),
            format!("The {} sold {} units online over the quarter, more than any other product.", items[top].name, units[top]),
            "product.top_seller_units", units[top] as f64, month, confidence(purchases.len())),
        pattern("monthly", format!("{} leads product views", CATEGORIES[top_category]),
            format!("{} takes {} of product page views, the largest share of any category.", CATEGORIES[top_category], pct(ratio(views_by_category[top_category], views as f64))),
            "web.top_category_view_share", round(ratio(views_by_category[top_category], views as f64), 3), month, confidence(views)),
        pattern("monthly", "Review sentiment".into(),
            format!("{} of {} reviews are positive (4 or 5 stars), with an average rating of {avg_rating:.2}.", pct(ratio(positive as f64, reviews.len() as f64)), reviews.len()),
            "social.review_positive_share", round(ratio(positive as f64, reviews.len() as f64), 3), month, confidence(reviews.len())),
        pattern("yearly", "Winter season outlook".into(),
            format!("If outerwear keeps its August-to-October trend ({:.2} times), winter jackets, insulated boots and parkas should lead sales from November to February; stock up on sizes M and L.", ratio(ow_oct, ow_aug)),
            "forecast.outerwear_winter_uplift", round(1.0 + (ratio(ow_oct, ow_aug) - 1.0) / 2.0, 3), year, 0.55),
    ]
}

// ---------------------------------------------------------------------------------------------
// Knowledge base
// ---------------------------------------------------------------------------------------------

pub const KB_RETURNS: &str = "Returns and Exchanges Policy";
pub const KB_SHIPPING: &str = "Shipping and Delivery";
pub const KB_STORES: &str = "Store Hours and Locations";
pub const KB_LOYALTY: &str = "Summit Rewards Loyalty Programme";
pub const KB_SIZING: &str = "Footwear Sizing Guide";
pub const KB_WARRANTY: &str = "Warranty and Repairs";
pub const KB_RENTAL: &str = "Gear Rental Programme";
pub const KB_SUSTAINABILITY: &str = "Sustainability Commitments";

/// Eight (title, text) help-centre documents with concrete facts, for QnA search.
pub fn knowledge_base() -> Vec<(String, String)> {
    let docs: [(&str, &str); 8] = [
        (KB_RETURNS, "Unused items in their original condition can be returned within 60 days of purchase for a full refund to the original payment method. Bring the receipt or quote your order number; without proof of purchase we offer store credit at the lowest selling price of the last 90 days.

Footwear and clothing that has been worn outdoors can be returned within 30 days if it failed to perform as described, for example a waterproof jacket that leaks or a boot whose sole separates. For safety reasons climbing ropes, harnesses and helmets cannot be returned once their packaging has been opened. Nutrition products are returnable only unopened and with at least 3 months left before their best-before date.

Exchanges for a different size or colour are free in store and online. Online returns are free with the prepaid label included in every parcel: drop it at any UPS Access Point within 60 days. Refunds are issued within 5 business days of the return reaching our warehouse in Salt Lake City."),
        (KB_SHIPPING, "Standard delivery takes 3 to 5 business days and costs $6.95, or nothing on orders over $75. Express delivery takes 1 to 2 business days and costs $14.95. Orders placed before 2 pm Mountain Time on a business day leave our Salt Lake City warehouse the same day.

We ship to all 50 US states. Orders to Alaska, Hawaii and Puerto Rico take 5 to 8 business days, and express delivery is not available there. We do not ship internationally yet. Stove fuel canisters and bear spray travel by ground only, so orders containing them always go by standard delivery.

Click and collect is free: choose a store at checkout and your order is ready within 2 hours during opening hours, or the next morning for orders placed after 6 pm. Every order gets a tracking link by email, and parcels that are not collected from a pickup point within 14 days come back to us and are refunded."),
        (KB_STORES, "We have three stores. The Denver flagship is at 1550 Wynkoop Street, Denver, CO 80202, phone (303) 555-0142. The Seattle store is at 410 Pike Street, Seattle, WA 98101, phone (206) 555-0178. The Boulder store is at 1200 Pearl Street, Boulder, CO 80302, phone (720) 555-0119.

All stores open Monday to Saturday from 9:00 to 21:00 and Sunday from 10:00 to 18:00. They close on Thanksgiving Day and on December 25, and open early, from 8:00 to 22:00, on Black Friday.

The Denver flagship has an indoor bouldering wall for trying climbing shoes and a boot-fitting studio. The Seattle store has a full bike workshop that services bikes within 48 hours. Parking at the Denver store is validated for 2 hours in the Union Station garage; the Boulder store is a 5-minute walk from the Downtown Boulder bus station."),
        (KB_LOYALTY, "Summit Rewards is our free loyalty programme. Members earn 1 point for every dollar spent in store or online, and 2 points per dollar on rentals and workshop services. Every 100 points turn into a $5 reward, which you can spend on anything except gift cards.

There are three tiers, based on points earned in a calendar year. Base Camp starts at 0 points. Ridge members, from 500 points, get free express delivery on every order. Summit members, from 1,500 points, also get 10% off workshop services and early access to our seasonal sales.

Members receive 50 bonus points in their birthday month. Points expire after 24 months without any purchase. Join at any till or in the app with just an email address, and show your member QR code at checkout to collect points."),
        (KB_SIZING, "Our trail shoes, hiking boots and winter boots follow standard US sizing. Measure your feet in the evening, when they are at their largest, standing up and wearing the socks you will hike in. A US men's 9 equals EU 42.5, UK 8.5 and 27 cm of foot length; a US women's 8 equals EU 39, UK 6 and 25 cm.

Leave about 1 cm, the width of a finger, between your longest toe and the front of a hiking boot so your toes do not hit the end on long descents. If you are between sizes, choose the larger size for hiking and winter boots and the smaller size for trail running shoes, which should fit snugly at the midfoot.

Climbing shoes are worn tight: most people take the Ridgeline Edgemaster half a size to one full size below their street shoe size, and its suede upper stretches by about half a size. The Northvale Granite Mid also comes in a wide (2E) fit. Our Denver boot-fitting studio measures length, width and arch height for free."),
        (KB_WARRANTY, "Every product we sell is covered for 2 years from the date of purchase against defects in materials and workmanship. Northvale and Ridgeline products also carry a lifetime guarantee on stitching and zippers. Keep your receipt or order number: a warranty claim needs proof of purchase. Normal wear and tear, accidents and damage from improper care are not covered.

Our repair workshop in Denver fixes gear whether or not it is under warranty. A replacement zipper costs $25, a patch on a down jacket $15, renewing the water-repellent finish of a jacket $20, and resoling a pair of climbing shoes $55. Most repairs are ready in 10 business days; climbing shoe resoles take about 3 weeks.

Drop items at any store or post them to the workshop with the repair form from our website. We email a quote before starting any paid repair, and Summit Rewards members earn double points on repairs."),
        (KB_RENTAL, "Why buy when you can try? Our Denver and Boulder stores rent out camping, climbing and snow gear; the Seattle store does not offer rentals. A two-person backpacking tent costs $25 for the first day and $10 for each extra day, a sleeping bag $15 a day, a backpacking pack $12 a day, and climbing shoes with a harness $12 a day. Snowshoes and poles are $18 a day from December to March.

The weekend package, from Friday pickup to Monday return, covers a tent, two sleeping bags and two sleeping pads for $65. We hold a $100 deposit on your card and release it when the gear comes back clean and undamaged; late returns are charged one extra day.

Book up to 60 days ahead online or at the rental desk, and collect from 9:00 on the first day. If you decide to buy the same model within 14 days of returning it, we deduct your first rental day from the price."),
        (KB_SUSTAINABILITY, "We aim to halve the emissions of our stores and warehouse by 2030 compared with 2022, and all three stores have run on 100% renewable electricity since January 2025. Online orders ship in recycled cardboard boxes sealed with paper tape, and we removed single-use plastic from our parcels in March 2025.

Today 62% of the clothing we sell is made with recycled or responsibly sourced materials, and all the down in our jackets and sleeping bags is certified to the Responsible Down Standard. We ask every brand we stock to publish the factories it works with.

Bring worn-out outdoor gear of any brand to a store for our take-back scheme and receive a $10 voucher for each item. Usable gear is cleaned, repaired in our Denver workshop and resold as Renewed gear at up to 50% off; the rest is recycled with textile partners."),
    ];
    docs.iter().map(|(t, x)| (t.to_string(), x.to_string())).collect()
}

// ---------------------------------------------------------------------------------------------
// Relevance set
// ---------------------------------------------------------------------------------------------

/// (query, expected) pairs for a search-quality test. `expected` is a catalogue SKU or a
/// knowledge-base title; each query has exactly one clearly best answer. Several product
/// queries share no word with the product's name, and a few carry typos ("harnes", "sleping",
/// "ultralite", "sox", "protien").
pub fn relevance_set() -> Vec<(String, String)> {
    let pairs: [(&str, &str); 37] = [
        ("waterproof jacket for hiking in heavy rain", "OW-SHELL-001"),
        ("light shoes for running on mountain trails", "FW-TRAIL-001"),
        ("tent for two people", "CP-TENT-001"),
        ("puffy jacket that packs small", "OW-DOWN-002"),
        ("something to boil water on at camp", "CP-STOV-003"),
        ("headtorch for night hiking", "AC-HEAD-001"),
        ("dry rope for lead climbing", "CL-ROPE-003"),
        ("harnes for sport climbing", "CL-HARN-001"),
        ("sleping bag for freezing nights", "CP-SLBG-002"),
        ("bike helmet with MIPS", "CY-HELM-001"),
        ("keep my coffee hot all day", "AC-BOTL-004"),
        ("walking sticks to save my knees on descents", "AC-POLE-003"),
        ("aggressive downturned shoes for bouldering", "CL-SHOE-002"),
        ("warm boots for deep snow at minus 30", "FW-WINT-004"),
        ("something to stop cramping on long hot runs", "NU-ELEC-003"),
        ("backcountry dinner, just add boiling water", "NU-MEAL-004"),
        ("laptop bag for cycling to the office", "BP-COMM-004"),
        ("running vest with soft flasks", "BP-HYDR-005"),
        ("ultralite dyneema pack for a thru hike", "BP-ULTR-003"),
        ("lights for my bike so cars can see me at night", "CY-LGHT-003"),
        ("blister free hiking sox", "AC-SOCK-002"),
        ("eye protection for high altitude snow", "AC-SUNG-005"),
        ("comfortable air mattress for camping", "CP-PAD-004"),
        ("shoes for wading through rivers", "FW-SAND-005"),
        ("leather hiking boots with ankle support", "FW-HIKE-002"),
        ("protien powder for after the gym", "NU-PROT-005"),
        ("big pack for a week-long trek", "BP-TREK-002"),
        ("how many days do I have to return something", KB_RETURNS),
        ("can I send back boots I wore on a hike", KB_RETURNS),
        ("how much does express shipping cost", KB_SHIPPING),
        ("do you deliver to Hawaii", KB_SHIPPING),
        ("what time does the Denver store open on Sunday", KB_STORES),
        ("how do I earn and redeem points", KB_LOYALTY),
        ("should I size up in hiking boots if I'm between sizes", KB_SIZING),
        ("my jacket zipper broke, can you fix it", KB_WARRANTY),
        ("can I hire camping gear for a weekend instead of buying it", KB_RENTAL),
        ("is your packaging recyclable and plastic free", KB_SUSTAINABILITY),
    ];
    pairs.iter().map(|(q, e)| (q.to_string(), e.to_string())).collect()
}

/// A query written the way shoppers search (synonyms, misspellings, intent) and what makes a
/// catalogue product relevant to it: any of `tags`, and, when `categories` is not empty, one of
/// those categories. The relevant products are derived from the catalogue's attributes
/// ([`relevant_skus`]), never listed by hand.
pub struct ShopperQuery {
    pub query: &'static str,
    pub tags: &'static [&'static str],
    pub categories: &'static [&'static str],
}

const fn sq(
    query: &'static str,
    tags: &'static [&'static str],
    categories: &'static [&'static str],
) -> ShopperQuery {
    ShopperQuery { query, tags, categories }
}

/// The shopper set: 35 queries over the catalogue.
pub fn shopper_queries() -> Vec<ShopperQuery> {
    vec![
        sq(
            "something warm for winter camping",
            &["down", "insulated", "insulation", "winter"],
            &["Outerwear", "Camping", "Footwear"],
        ),
        sq("rain gear", &["rain", "waterproof"], &[]),
        sq("waterprof boots", &["boots", "winter", "snow"], &["Footwear"]),
        sq("trail runing shoes", &["running", "trail"], &["Footwear"]),
        sq("kit for my first marathon", &["running", "energy", "hydration"], &[]),
        sq("bouldering stuff", &["bouldering"], &[]),
        sq(
            "rock climbing equipment",
            &["climbing", "climbing-shoes", "bouldering", "rope", "harness", "chalk"],
            &["Climbing"],
        ),
        sq("things for road cyclists", &["cycling"], &["Cycling"]),
        sq("bags for bike touring", &["bikepacking", "bags"], &[]),
        sq("lighting for the campsite", &["lantern", "lighting"], &[]),
        sq("see in the dark", &["lighting", "lights", "headlamp", "lantern"], &[]),
        sq("cooking outdoors", &["stove", "cooking", "meals"], &[]),
        sq("snacks for the trail", &["snacks", "energy", "gel"], &["Nutrition"]),
        sq("plant based food", &["vegan"], &[]),
        sq("recovery after a hard workout", &["recovery", "protein"], &[]),
        sq("stay hydrated", &["hydration", "electrolytes", "bottle"], &[]),
        sq("merino wool clothing", &["merino"], &[]),
        sq("what do I sleep on in a tent", &["sleeping-bag", "sleeping-pad"], &[]),
        sq("ultralite backpacking", &["ultralight", "backpacking"], &[]),
        sq("bag for carrying a laptop to work", &["commuter", "laptop", "urban"], &[]),
        sq("head protection", &["helmet"], &[]),
        sq("glacier travel", &["mountaineering", "snow"], &[]),
        sq("layer that blocks the wind", &["windproof", "softshell", "shell"], &[]),
        sq("fleece", &["fleece", "midlayer"], &[]),
        sq("jackets", &[], &["Outerwear"]),
        sq("pack for day hikes", &["daypack", "hiking"], &["Backpacks"]),
        sq("summer shoes for water", &["sandals", "water", "summer"], &["Footwear"]),
        sq("chalk for grip", &["chalk"], &[]),
        sq("gloves for riding", &["gloves"], &[]),
        sq("winter coat for the city", &["parka", "city"], &[]),
        sq("tnet for backpacking", &["tent"], &[]),
        sq("keep drinks hot", &["bottle", "insulated"], &["Accessories"]),
        sq("eyewear for bright snow", &["sunglasses"], &[]),
        sq("sticks for hiking", &["poles"], &[]),
        sq("hiking sox", &["socks"], &[]),
    ]
}

/// The SKUs of the catalogue products relevant to `q`, from their tags and category.
pub fn relevant_skus(q: &ShopperQuery) -> Vec<String> {
    catalogue()
        .iter()
        .filter(|p| {
            let tags: Vec<&str> =
                p["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
            let category = p["category"].as_str().unwrap();
            let tag_ok = q.tags.is_empty() || q.tags.iter().any(|t| tags.contains(t));
            let category_ok = q.categories.is_empty() || q.categories.contains(&category);
            tag_ok && category_ok
        })
        .map(|p| p["sku"].as_str().unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet, HashSet};

    #[test]
    fn every_shopper_query_has_relevant_products_but_not_the_whole_catalogue() {
        let queries = shopper_queries();
        assert!(queries.len() >= 30);
        for q in &queries {
            let n = relevant_skus(q).len();
            assert!((1..=12).contains(&n), "{}: {n} relevant products", q.query);
        }
    }

    fn token_ok(s: &str, max: usize) -> bool {
        !s.is_empty()
            && s.len() <= max
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
    }

    fn text_ok(s: &str, min: usize, max: usize) -> bool {
        let n = s.trim().chars().count();
        n >= min && n <= max && !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
    }

    /// Unix seconds of `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ`.
    fn parse_time(s: &str) -> Option<i64> {
        let num = |r: std::ops::Range<usize>| {
            s.get(r)
                .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<i64>().ok())
        };
        let b = s.as_bytes();
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if !(1..=12).contains(&m)
            || !(1..=31).contains(&d)
            || civil_from_days(days_from_civil(y, m, d)) != (y, m, d)
        {
            return None;
        }
        let day = days_from_civil(y, m, d) * 86_400;
        match b.len() {
            10 => Some(day),
            20 if b[10] == b'T' && b[13] == b':' && b[16] == b':' && b[19] == b'Z' => {
                let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
                (h < 24 && mi < 60 && sec < 60).then_some(day + h * 3600 + mi * 60 + sec)
            }
            _ => None,
        }
    }

    fn sentences(s: &str) -> usize {
        let c: Vec<char> = s.chars().collect();
        (0..c.len())
            .filter(|&i| ".!?".contains(c[i]) && c.get(i + 1).is_none_or(|n| n.is_whitespace()))
            .count()
    }

    fn demo() -> Vec<Value> {
        interactions(&catalogue_skus(), DEMO_INTERACTIONS, DEMO_SEED)
    }

    #[test]
    fn calendar_arithmetic() {
        assert_eq!(WINDOW_END, 1_793_491_200);
        assert_eq!(rfc3339(WINDOW_END), "2026-11-01T00:00:00Z");
        assert_eq!(rfc3339(WINDOW_START), "2026-08-03T00:00:00Z");
        assert_eq!(weekday(WINDOW_START / 86_400), 0, "the window starts on a Monday");
        assert_eq!(weekday(WINDOW_END / 86_400), 6, "2026-11-01 is a Sunday");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400 + 3723), "2000-02-29T01:02:03Z");
        for d in -800_000..800_000 {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        assert_eq!(
            parse_time("2026-10-12T14:03:00Z"),
            Some(days_from_civil(2026, 10, 12) * 86_400 + 14 * 3600 + 180)
        );
        assert_eq!(parse_time("2026-02-30"), None);
    }

    #[test]
    fn rng_is_deterministic_and_spread() {
        let a: Vec<u64> = {
            let mut r = Rng::new(7);
            (0..100).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::new(7);
            (0..100).map(|_| r.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut r = Rng::new(8);
            (0..100).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut r = Rng::new(0);
        let mut buckets = [0usize; 10];
        for _ in 0..100_000 {
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            buckets[(u * 10.0) as usize] += 1;
        }
        assert!(buckets.iter().all(|&n| (9_000..11_000).contains(&n)), "{buckets:?}");
        for _ in 0..1000 {
            let x = r.range(3, 5);
            assert!((3..=5).contains(&x));
        }
    }

    #[test]
    fn catalogue_is_valid() {
        let products = catalogue();
        assert!((35..=45).contains(&products.len()));
        let allowed: BTreeSet<&str> =
            ["name", "sku", "category", "brand", "priceCents", "currency", "tags", "description"]
                .into();
        let (mut skus, mut names) = (HashSet::new(), HashSet::new());
        let mut per_category: BTreeMap<String, usize> = BTreeMap::new();
        for p in &products {
            let obj = p.as_object().unwrap();
            assert!(obj.keys().all(|k| allowed.contains(k.as_str())), "{p}");
            let name = p["name"].as_str().unwrap();
            assert!(text_ok(name, 1, 200), "{name}");
            assert!(names.insert(name.to_string()), "duplicate name {name}");
            let sku = p["sku"].as_str().unwrap();
            assert!(token_ok(sku, 64), "{sku}");
            assert!(skus.insert(sku.to_string()), "duplicate sku {sku}");
            let category = p["category"].as_str().unwrap();
            assert!(CATEGORIES.contains(&category) && text_ok(category, 1, 100));
            *per_category.entry(category.to_string()).or_default() += 1;
            let brand = p["brand"].as_str().unwrap();
            assert!(BRANDS.contains(&brand) && text_ok(brand, 1, 100));
            assert!(name.starts_with(brand), "{name} should carry its brand");
            let price = p["priceCents"].as_i64().unwrap();
            assert!((100..=1_000_000_000).contains(&price), "{sku}: {price}");
            assert_eq!(p["currency"], "USD");
            let tags = p["tags"].as_array().unwrap();
            assert!((1..=4).contains(&tags.len()), "{sku}");
            for t in tags {
                let t = t.as_str().unwrap();
                assert!(
                    text_ok(t, 1, 40) && t.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                    "{sku}: tag {t}"
                );
            }
            let description = p["description"].as_str().unwrap();
            assert!(text_ok(description, 60, 5000), "{sku}");
            assert!(
                (1..=3).contains(&sentences(description)),
                "{sku}: {} sentences",
                sentences(description)
            );
            assert!(
                description.bytes().any(|b| b.is_ascii_digit()),
                "{sku}: description should give a concrete figure"
            );
        }
        assert_eq!(per_category.len(), 8);
        assert!(per_category.values().all(|&n| n >= 4), "{per_category:?}");
        assert_eq!(
            catalogue_skus(),
            products.iter().map(|p| p["sku"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        );
        assert_eq!(catalogue(), products, "deterministic");
    }

    #[test]
    fn interactions_are_deterministic() {
        let a = demo();
        assert_eq!(a, demo());
        assert_eq!(a.len(), DEMO_INTERACTIONS);
        let other = interactions(&catalogue_skus(), DEMO_INTERACTIONS, DEMO_SEED + 1);
        assert_ne!(a, other);
        // A shorter run is a different sample, but just as valid.
        assert_eq!(interactions(&catalogue_skus(), 10, 1).len(), 10);
        assert!(interactions(&catalogue_skus(), 0, 1).is_empty());
    }

    #[test]
    fn interactions_are_valid() {
        let items = demo();
        let by_sku: BTreeMap<String, Value> =
            catalogue().into_iter().map(|p| (p["sku"].as_str().unwrap().to_string(), p)).collect();
        let allowed: BTreeSet<&str> =
            ["eventId", "sourceType", "kind", "occurredAt", "content", "attributes"].into();
        let mut ids = HashSet::new();
        let mut last = i64::MIN;
        for it in &items {
            let obj = it.as_object().unwrap();
            assert!(obj.keys().all(|k| allowed.contains(k.as_str())), "{it}");
            assert!(obj.get("productId").is_none());
            let id = it["eventId"].as_str().unwrap();
            assert!(token_ok(id, 128) && id.starts_with("demo-"), "{id}");
            assert!(ids.insert(id.to_string()), "duplicate {id}");
            let source = it["sourceType"].as_str().unwrap();
            let kind = it["kind"].as_str().unwrap();
            assert!(
                !kind.is_empty()
                    && kind.len() <= 40
                    && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{kind}"
            );
            let kinds: &[&str] = match source {
                "web" => &WEB_KINDS,
                "cctv" => &CCTV_KINDS,
                "social" => &SOCIAL_KINDS,
                other => panic!("source {other}"),
            };
            assert!(kinds.contains(&kind), "{source}/{kind}");
            let at = it["occurredAt"].as_str().unwrap();
            let ts = parse_time(at).unwrap_or_else(|| panic!("bad time {at}"));
            assert_eq!(at.len(), 20, "{at}");
            assert!((WINDOW_START..WINDOW_END).contains(&ts), "{at}");
            assert!(ts >= last, "ids follow time");
            last = ts;
            let content = it["content"].as_str().unwrap();
            assert!(text_ok(content, 1, 300), "{content}");
            let attrs = &it["attributes"];
            assert!(attrs.is_object() && attrs.to_string().len() <= 4096, "{attrs}");
            // The content names the product, its category, or is the product's search phrase.
            let lower = content.to_lowercase();
            if let Some(sku) = attrs["sku"].as_str() {
                let p = &by_sku[sku];
                let category = p["category"].as_str().unwrap();
                let cat_index = CATEGORIES.iter().position(|c| *c == category).unwrap();
                let mentions = lower.contains(&p["name"].as_str().unwrap().to_lowercase())
                    || lower.contains(&category.to_lowercase())
                    || (kind == "search" && INFO[cat_index].searches.contains(&content));
                assert!(mentions, "{content} does not mention {sku}");
            } else {
                assert_eq!(kind, "footfall", "{it}");
                assert!(CATEGORIES.iter().any(|c| lower.contains(&c.to_lowercase())), "{content}");
            }
            if source == "cctv" {
                assert!(attrs["store"].is_string() && attrs["zone"].is_string());
                let hour = ts.rem_euclid(86_400) / 3600;
                let sunday = weekday(ts.div_euclid(86_400)) == 6;
                let (open, close) = if sunday { (10, 18) } else { (9, 21) };
                assert!((open..close).contains(&hour), "store closed at {at}");
            }
            if kind == "dwell" {
                assert!(attrs["durationSec"].as_i64().unwrap() > 0);
            }
            if kind == "review" {
                assert!((1..=5).contains(&attrs["rating"].as_i64().unwrap()));
            }
            if source == "social" {
                assert!(["positive", "neutral", "negative"]
                    .contains(&attrs["sentiment"].as_str().unwrap()));
            }
        }
        assert_eq!(ids.len(), items.len());
        assert_eq!(items.first().unwrap()["eventId"], "demo-000001");
        // A batch of the API's maximum size stays well under its 1 MiB body limit.
        for chunk in items.chunks(500) {
            assert!(
                serde_json::to_vec(&json!({ "interactions": chunk })).unwrap().len() < 512 * 1024
            );
        }
    }

    #[test]
    fn channel_mix_and_rhythms_are_real() {
        let items = demo();
        let n = items.len() as f64;
        let count = |s: &str| items.iter().filter(|i| i["sourceType"] == s).count() as f64;
        let (web, cctv, social) = (count("web") / n, count("cctv") / n, count("social") / n);
        assert!((0.52..0.58).contains(&web), "web {web}");
        assert!((0.27..0.33).contains(&cctv), "cctv {cctv}");
        assert!((0.12..0.18).contains(&social), "social {social}");
        // Every kind of every channel occurs.
        for k in WEB_KINDS.iter().chain(&CCTV_KINDS).chain(&SOCIAL_KINDS) {
            assert!(items.iter().any(|i| i["kind"] == *k), "no {k}");
        }
        // CCTV: weekend days are much busier than weekdays.
        let ts = |i: &Value| parse_time(i["occurredAt"].as_str().unwrap()).unwrap();
        let (mut weekend, mut weekday_n) = (0f64, 0f64);
        for i in items.iter().filter(|i| i["sourceType"] == "cctv") {
            if weekday(ts(i).div_euclid(86_400)) >= 5 {
                weekend += 1.0
            } else {
                weekday_n += 1.0
            }
        }
        // 90 days from a Monday: 25 weekend days, 65 weekdays.
        let ratio = (weekend / 25.0) / (weekday_n / 65.0);
        assert!(ratio > 1.6, "weekend/weekday cctv ratio {ratio}");
        // Web: evenings carry far more than their share of the hours.
        let web: Vec<&Value> = items.iter().filter(|i| i["sourceType"] == "web").collect();
        let evening =
            web.iter().filter(|i| (18..23).contains(&(ts(i).rem_euclid(86_400) / 3600))).count()
                as f64
                / web.len() as f64;
        assert!(evening > 0.4, "evening share {evening}");
        // Every day of the window has some activity; product coverage is broad.
        let days: BTreeSet<i64> = items.iter().map(|i| ts(i).div_euclid(86_400)).collect();
        assert_eq!(days.len() as i64, WINDOW_DAYS);
        let skus: BTreeSet<&str> =
            items.iter().filter_map(|i| i["attributes"]["sku"].as_str()).collect();
        assert_eq!(skus.len(), PRODUCTS.len());
    }

    #[test]
    fn unknown_skus_still_give_valid_interactions() {
        let skus = vec!["X-1".to_string(), "custom.sku:2".to_string()];
        let items = interactions(&skus, 200, 3);
        assert_eq!(items.len(), 200);
        for it in &items {
            if let Some(s) = it["attributes"]["sku"].as_str() {
                assert!(skus.iter().any(|k| k == s));
            }
            assert!(text_ok(it["content"].as_str().unwrap(), 1, 300));
        }
    }

    #[test]
    fn patterns_are_valid_and_match_the_data() {
        let patterns = patterns();
        assert_eq!(patterns, super::patterns(), "deterministic");
        assert!((18..=22).contains(&patterns.len()));
        let allowed: BTreeSet<&str> =
            ["period", "title", "description", "metric", "value", "periodStart", "confidence"]
                .into();
        let mut titles = HashSet::new();
        let mut metrics = HashSet::new();
        let mut periods = BTreeSet::new();
        for p in &patterns {
            assert!(p.as_object().unwrap().keys().all(|k| allowed.contains(k.as_str())), "{p}");
            let period = p["period"].as_str().unwrap();
            assert!(["daily", "weekly", "monthly", "yearly"].contains(&period));
            periods.insert(period);
            let title = p["title"].as_str().unwrap();
            assert!(text_ok(title, 1, 200) && titles.insert(title.to_string()), "{title}");
            assert!(text_ok(p["description"].as_str().unwrap(), 1, 2000));
            let metric = p["metric"].as_str().unwrap();
            assert!(token_ok(metric, 64) && metrics.insert(metric.to_string()), "{metric}");
            assert!(p["value"].as_f64().unwrap().is_finite());
            assert!(parse_time(p["periodStart"].as_str().unwrap()).is_some());
            let c = p["confidence"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&c));
        }
        assert_eq!(periods.len(), 4, "every period is represented");
        let value = |metric: &str| {
            patterns.iter().find(|p| p["metric"] == metric).unwrap()["value"].as_f64().unwrap()
        };
        assert!(value("cctv.weekend_weekday_ratio") > 1.6);
        assert!([6.0, 7.0].contains(&value("cctv.busiest_weekday")), "Saturday or Sunday");
        assert!((18.0..=22.0).contains(&value("web.peak_hour")));
        assert!(value("category.outerwear.oct_vs_aug") > 1.5);
        assert!(value("category.camping.oct_vs_aug") < 0.8);
        assert!(value("cctv.dwell.climbing_avg_sec") > value("cctv.dwell.avg_sec"));
        let web = demo().iter().filter(|i| i["sourceType"] == "web").count() as f64
            / DEMO_INTERACTIONS as f64;
        assert_eq!(value("channel.web_share"), round(web, 3));
        let conv = value("web.purchase_per_view");
        assert!(conv > 0.0 && conv < 1.0);
    }

    #[test]
    fn knowledge_base_is_substantive() {
        let kb = knowledge_base();
        assert_eq!(kb.len(), 8);
        let titles: HashSet<&str> = kb.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(titles.len(), 8);
        for (title, text) in &kb {
            assert!(text_ok(title, 1, 200));
            let paragraphs = text.split("\n\n").filter(|p| !p.trim().is_empty()).count();
            assert!((2..=5).contains(&paragraphs), "{title}: {paragraphs} paragraphs");
            assert!(text.len() > 600 && text.len() < 5000, "{title}: {} bytes", text.len());
            assert!(
                text.bytes().filter(|b| b.is_ascii_digit()).count() >= 5,
                "{title} needs concrete figures"
            );
        }
    }

    #[test]
    fn relevance_set_points_at_real_answers() {
        let set = relevance_set();
        assert!(set.len() >= 34);
        let products = catalogue();
        let skus: HashSet<&str> = products.iter().map(|p| p["sku"].as_str().unwrap()).collect();
        let kb = knowledge_base();
        let titles: HashSet<&str> = kb.iter().map(|(t, _)| t.as_str()).collect();
        let mut queries = HashSet::new();
        let (mut to_products, mut to_docs, mut disjoint) = (0, 0, 0);
        let mut expected_products = HashSet::new();
        for (q, e) in &set {
            assert!(text_ok(q, 3, 200), "{q}");
            assert!(queries.insert(q.to_lowercase()), "duplicate query {q}");
            if skus.contains(e.as_str()) {
                to_products += 1;
                assert!(
                    expected_products.insert(e.clone()),
                    "{e} expected twice: keep one best answer per product"
                );
                let name = products.iter().find(|p| p["sku"] == e.as_str()).unwrap()["name"]
                    .as_str()
                    .unwrap()
                    .to_lowercase();
                let name_words: HashSet<&str> = name.split_whitespace().collect();
                let lower = q.to_lowercase();
                if !lower
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|w| w.len() > 2 && name_words.contains(w))
                {
                    disjoint += 1;
                }
            } else {
                assert!(titles.contains(e.as_str()), "{e} is neither a SKU nor a document title");
                to_docs += 1;
            }
        }
        assert!(to_products >= 24, "{to_products} product queries");
        assert!(to_docs >= 10, "{to_docs} document queries");
        assert!(disjoint >= 8, "only {disjoint} product queries avoid the product's name");
    }
}
