//! Spellings of crawl URLs: many ways of writing one address or host name, each with the host
//! the WHATWG URL Standard must read out of it, and whether that host is special-purpose
//! according to the IANA registries (written out below as text, independently of the crate's own
//! table). Shared by the property test (`crawl_spellings.rs`) and the differential test against
//! Node's WHATWG `URL` (`crawl_whatwg_node.rs`).
#![allow(dead_code)]

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

/// The host a spelling means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meant {
    V4(Ipv4Addr),
    V6(Ipv6Addr),
    /// A host name as the parser leaves it (ASCII lower case, `.` separators).
    Name(String),
}

#[derive(Debug, Clone)]
pub struct Spelling {
    pub url: String,
    pub meant: Meant,
}

impl Spelling {
    /// Not globally reachable (or a name reserved for local use): the check must refuse it.
    pub fn special(&self) -> bool {
        match &self.meant {
            Meant::V4(ip) => special_v4(u32::from(*ip)),
            Meant::V6(ip) => special_v6(u128::from(*ip)),
            Meant::Name(_) => true, // only special names are generated as `Name`s (see `names`)
        }
    }

    /// 127.0.0.0/8, `::1` or a `localhost` name: what the local setting lets through.
    pub fn direct_loopback(&self) -> bool {
        match &self.meant {
            Meant::V4(ip) => ip.octets()[0] == 127,
            Meant::V6(ip) => *ip == Ipv6Addr::LOCALHOST,
            Meant::Name(n) => {
                let n = n.trim_end_matches('.');
                n == "localhost" || n.ends_with(".localhost")
            }
        }
    }
}

/// IANA IPv4 Special-Purpose Address Registry, every block, plus multicast.
pub const V4_SPECIAL: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.0.0/29",
    "192.0.0.8/32",
    "192.0.0.9/32",
    "192.0.0.10/32",
    "192.0.0.170/32",
    "192.0.0.171/32",
    "192.0.2.0/24",
    "192.31.196.0/24",
    "192.52.193.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "192.175.48.0/24",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "255.255.255.255/32",
];

/// IANA IPv6 Special-Purpose Address Registry blocks that do not carry an IPv4 address, and
/// blocks outside the global unicast space 2000::/3 picked for the generator (the oracle refuses
/// everything outside 2000::/3 anyway).
pub const V6_SPECIAL: &[&str] = &[
    "::/128",
    "::1/128",
    "64:ff9b:1::/48",
    "100::/64",
    "100:0:0:1::/64",
    "2001::/23",
    "2001::/32",
    "2001:1::1/128",
    "2001:1::2/128",
    "2001:1::3/128",
    "2001:2::/48",
    "2001:3::/32",
    "2001:4:112::/48",
    "2001:10::/28",
    "2001:20::/28",
    "2001:30::/28",
    "2001:db8::/32",
    "2002::/16",
    "2620:4f:8000::/48",
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
    "4000::/2",
    "::ffff:0:0:0/96",
];

/// Prefixes whose last 32 bits are an IPv4 address that the address is judged by: IPv4-mapped,
/// IPv4-compatible, well-known NAT64.
pub const V6_EMBEDDING: &[&str] = &["::ffff:0:0/96", "::/96", "64:ff9b::/96"];

fn cidr4(s: &str) -> (u32, u32) {
    let (a, l) = s.split_once('/').unwrap();
    (u32::from(a.parse::<Ipv4Addr>().unwrap()), l.parse().unwrap())
}

fn cidr6(s: &str) -> (u128, u32) {
    let (a, l) = s.split_once('/').unwrap();
    (u128::from(a.parse::<Ipv6Addr>().unwrap()), l.parse().unwrap())
}

fn within(bits: u128, width: u32, (net, len): (u128, u32)) -> bool {
    len == 0 || bits >> (width - len) == net >> (width - len)
}

pub fn special_v4(a: u32) -> bool {
    V4_SPECIAL.iter().any(|c| {
        let (n, l) = cidr4(c);
        within(a.into(), 32, (n.into(), l))
    })
}

pub fn special_v6(a: u128) -> bool {
    if V6_EMBEDDING.iter().any(|c| within(a, 128, cidr6(c))) {
        return special_v4(a as u32);
    }
    a >> 125 != 1 || V6_SPECIAL.iter().any(|c| within(a, 128, cidr6(c)))
}

/// A random address inside one of `blocks`.
fn inside(blocks: &'static [&'static str], v6: bool) -> impl Strategy<Value = u128> {
    (prop::sample::select(blocks), any::<u128>()).prop_map(move |(c, r)| {
        if v6 {
            let (n, l) = cidr6(c);
            let host = if l == 128 { 0 } else { r & (u128::MAX >> l) };
            (n & !(u128::MAX.checked_shr(l).unwrap_or(0))) | host
        } else {
            let (n, l) = cidr4(c);
            let host = if l == 32 { 0 } else { (r as u32) & (u32::MAX >> l) };
            u128::from(n | host)
        }
    })
}

/// A small deterministic source of choices for one spelling.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Dice(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    /// 0..n (splitmix64).
    pub fn pick(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n
    }
    pub fn one_in(&mut self, n: u64) -> bool {
        self.pick(n) == 0
    }
    pub fn choose<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.pick(items.len() as u64) as usize]
    }
}

/// `.` or one of the full stops that IDNA maps to it (ideographic, full-width, halfwidth).
fn full_stop(d: &mut Dice) -> char {
    *d.choose(&['.', '.', '.', '\u{3002}', '\u{ff0e}', '\u{ff61}'])
}

fn mixed_case(s: &str, d: &mut Dice) -> String {
    s.chars().map(|c| if d.one_in(2) { c.to_ascii_uppercase() } else { c }).collect()
}

/// One part of an IPv4 shorthand in decimal, hex (`0x`/`0X`, zero-padded, any case, `0x` alone
/// for zero) or octal (leading zeros).
fn number(v: u64, d: &mut Dice) -> String {
    match d.pick(3) {
        0 => v.to_string(),
        1 => {
            let prefix = if d.one_in(2) { "0x" } else { "0X" };
            if v == 0 && d.one_in(3) {
                return prefix.to_string();
            }
            let zeros = "0".repeat(d.pick(3) as usize);
            format!("{prefix}{zeros}{}", mixed_case(&format!("{v:x}"), d))
        }
        _ => format!("0{}{v:o}", "0".repeat(d.pick(3) as usize)),
    }
}

/// Full-width forms (U+FF10.. digits, U+FF21../U+FF41.. letters) of some ASCII characters.
fn full_width(s: &str, d: &mut Dice, per: u64) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() && d.one_in(per) {
                char::from_u32(c as u32 - 0x20 + 0xff00).unwrap()
            } else {
                c
            }
        })
        .collect()
}

/// Percent-encodes some characters (their UTF-8 bytes, hex in either case).
fn percent(s: &str, d: &mut Dice, per: u64) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if d.one_in(per) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let hex = format!("{b:02x}");
                out.push('%');
                out.push_str(&if d.one_in(2) { hex.to_uppercase() } else { hex });
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A host spelling of an IPv4 address: 1 to 4 parts, each in its own radix, any full stops,
/// maybe a trailing one, maybe full-width characters and percent-encoding.
pub fn spell_v4(a: u32, d: &mut Dice) -> String {
    let a = u64::from(a);
    let parts: Vec<u64> = match d.pick(4) {
        0 => vec![a],
        1 => vec![a >> 24, a & 0xff_ffff],
        2 => vec![a >> 24, (a >> 16) & 0xff, a & 0xffff],
        _ => vec![a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff],
    };
    let mut s = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            s.push(full_stop(d));
        }
        s.push_str(&number(*p, d));
    }
    if d.one_in(4) {
        s.push(full_stop(d));
    }
    if d.one_in(3) {
        s = full_width(&s, d, 3);
    }
    if d.one_in(4) {
        s = percent(&s, d, 3);
    }
    s
}

fn hex_group(g: u16, d: &mut Dice) -> String {
    let h = format!("{g:x}");
    let pad = d.pick(5 - h.len() as u64) as usize;
    mixed_case(&format!("{}{h}", "0".repeat(pad)), d)
}

/// A bracketed IPv6 spelling: compressed at any run of zero groups or not at all, groups
/// zero-padded and in any case, maybe with the last 32 bits as a dotted IPv4 address.
pub fn spell_v6(a: u128, d: &mut Dice, dotted_bias: bool) -> String {
    let groups: Vec<u16> = (0..8).rev().map(|i| (a >> (16 * i)) as u16).collect();
    let dotted = d.one_in(if dotted_bias { 2 } else { 5 });
    let n = if dotted { 6 } else { 8 };
    let mut items: Vec<String> = groups[..n].iter().map(|g| hex_group(*g, d)).collect();
    if dotted {
        let v4 = Ipv4Addr::from(a as u32);
        items.push(v4.to_string());
    }
    // Runs of zero groups among the hex ones; compress a piece of one of them, or none.
    let mut runs = Vec::new();
    let mut i = 0;
    while i < n {
        if groups[i] == 0 {
            let start = i;
            while i < n && groups[i] == 0 {
                i += 1;
            }
            runs.push((start, i));
        } else {
            i += 1;
        }
    }
    let body = if !runs.is_empty() && !d.one_in(4) {
        let (s, e) = *d.choose(&runs);
        let from = s + d.pick((e - s) as u64) as usize;
        let to = from + 1 + d.pick((e - from) as u64) as usize;
        format!("{}::{}", items[..from].join(":"), items[to..].join(":"))
    } else {
        items.join(":")
    };
    format!("[{body}]")
}

/// Names reserved for local use, as the parser leaves them.
const SPECIAL_NAMES: &[&str] = &[
    "localhost",
    "api.localhost",
    "printer.local",
    "metadata.google.internal",
    "nas.home.arpa",
    "db.localdomain",
    "shop.test",
    "x.invalid",
    "www.example",
    "hidden.onion",
    "service.alt",
    "router.lan",
    "mail.corp",
    "nas.home",
    "1.0.0.127.in-addr.arpa",
];

/// A spelling of a host name: case, full-width letters, other full stops, a trailing dot,
/// percent-encoding. The meant name keeps a trailing dot (the parser does too).
pub fn spell_name(name: &str, d: &mut Dice) -> (String, String) {
    let mut meant = name.to_string();
    let mut s = String::new();
    for c in name.chars() {
        s.push(if c == '.' { full_stop(d) } else { c });
    }
    if d.one_in(4) {
        s.push(full_stop(d));
        meant.push('.');
    }
    let mut s = mixed_case(&s, d);
    if d.one_in(3) {
        s = full_width(&s, d, 3);
    }
    if d.one_in(4) {
        s = percent(&s, d, 3);
    }
    (s, meant)
}

/// Puts a host spelling into a whole URL: scheme in any case, the slashes the URL Standard
/// tolerates for special schemes, a port (none, empty, default, zero-padded, any), a path.
pub fn url_around(host: &str, d: &mut Dice) -> String {
    let scheme = *d.choose(&["http", "https", "HTTP", "hTTpS"]);
    let slashes = *d.choose(&["//", "//", "//", "\\\\", "/", "", "///", "/\\"]);
    let port = match d.pick(8) {
        0 => ":".to_string(),
        1 if scheme.eq_ignore_ascii_case("http") => ":80".into(),
        1 => ":443".into(),
        2 => ":0080".into(),
        3 => format!(":{}", 1 + d.pick(65535)),
        _ => String::new(),
    };
    let path =
        *d.choose(&["", "/", "/latest/meta-data/", "/a?b=c", "/#frag", "?q", "#f", "/%2e%2e/x"]);
    format!("{scheme}:{slashes}{host}{port}{path}")
}

pub fn v4_spelling(a: u32, seed: u64) -> Spelling {
    let d = &mut Dice::new(seed);
    let host = spell_v4(a, d);
    Spelling { url: url_around(&host, d), meant: Meant::V4(Ipv4Addr::from(a)) }
}

pub fn v6_spelling(a: u128, seed: u64) -> Spelling {
    let d = &mut Dice::new(seed);
    let embeds = V6_EMBEDDING.iter().any(|c| within(a, 128, cidr6(c)));
    let host = spell_v6(a, d, embeds);
    Spelling { url: url_around(&host, d), meant: Meant::V6(Ipv6Addr::from(a)) }
}

/// Spellings of special-purpose IPv4 addresses.
pub fn special_v4_spellings() -> impl Strategy<Value = Spelling> {
    (inside(V4_SPECIAL, false), any::<u64>()).prop_map(|(a, s)| v4_spelling(a as u32, s))
}

/// Spellings of globally reachable IPv4 addresses.
pub fn global_v4_spellings() -> impl Strategy<Value = Spelling> {
    (any::<u32>().prop_filter("global", |a| !special_v4(*a)), any::<u64>())
        .prop_map(|(a, s)| v4_spelling(a, s))
}

/// Special IPv6 addresses: registry blocks, addresses outside 2000::/3, and mapped, compatible
/// and NAT64 forms of special IPv4 addresses.
pub fn special_v6_spellings() -> impl Strategy<Value = Spelling> {
    let embedded = (prop::sample::select(V6_EMBEDDING), inside(V4_SPECIAL, false))
        .prop_map(|(p, v4)| cidr6(p).0 | v4);
    let outside = any::<u128>().prop_filter("outside 2000::/3", |a| a >> 125 != 1);
    let addr = prop_oneof![3 => inside(V6_SPECIAL, true), 3 => embedded, 1 => outside];
    (addr, any::<u64>()).prop_map(|(a, s)| v6_spelling(a, s))
}

/// Globally reachable IPv6 addresses, and mapped, compatible and NAT64 forms of global IPv4.
pub fn global_v6_spellings() -> impl Strategy<Value = Spelling> {
    let unicast = any::<u128>()
        .prop_map(|a| (a & (u128::MAX >> 3)) | (1u128 << 125))
        .prop_filter("global", |a| !special_v6(*a));
    let embedded = (
        prop::sample::select(V6_EMBEDDING),
        any::<u32>().prop_filter("global", |a| !special_v4(*a)),
    )
        .prop_map(|(p, v4)| cidr6(p).0 | u128::from(v4));
    let addr = prop_oneof![3 => unicast, 1 => embedded];
    (addr, any::<u64>()).prop_map(|(a, s)| v6_spelling(a, s))
}

/// Spellings of names reserved for local use, and of single-label names.
pub fn special_name_spellings() -> impl Strategy<Value = Spelling> {
    let name = prop_oneof![
        3 => prop::sample::select(SPECIAL_NAMES).prop_map(str::to_string),
        1 => "[a-z]{1,12}",
        1 => ("[a-z]{1,8}", prop::sample::select(&["local", "internal", "test", "onion", "localhost", "example", "invalid", "arpa"][..]))
            .prop_map(|(l, t)| format!("{l}.{t}")),
    ];
    (name, any::<u64>()).prop_map(|(n, seed)| {
        let d = &mut Dice::new(seed);
        let (host, meant) = spell_name(&n, d);
        Spelling { url: url_around(&host, d), meant: Meant::Name(meant) }
    })
}

/// Every kind of spelling, special and global.
pub fn any_spelling() -> impl Strategy<Value = Spelling> {
    prop_oneof![
        3 => special_v4_spellings(),
        1 => global_v4_spellings(),
        3 => special_v6_spellings(),
        1 => global_v6_spellings(),
        1 => special_name_spellings(),
    ]
}
