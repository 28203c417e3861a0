//! `crow_retail::crawl::{check_url, redirect_target}`: the crawler's SSRF check.
//!
//! The input is a URL, optionally followed by a NUL byte and a `Location` value.
//! Properties:
//! - never panics;
//! - when `check_url(s, false)` accepts, the returned URL is http or https without credentials,
//!   parses back (WHATWG, the `url` crate) to exactly itself, is accepted again as the same
//!   target, and its host is a domain name or a globally reachable address: checked here against
//!   std's address predicates and the global unicast space, independently of the crate's tables;
//! - whatever passes without the local setting also passes with it, and what the local setting
//!   adds is only 127.0.0.0/8, `::1` and `localhost` names;
//! - a redirect resolved from an accepted URL (or from a fixed public page) obeys the same
//!   rules, and equals `check_url` of the joined URL.
#![no_main]

use std::net::{Ipv4Addr, Ipv6Addr};

use crow_retail::crawl::{check_url, classify_domain, redirect_target, Reach, Target};
use libfuzzer_sys::fuzz_target;
use url::{Host, Url};

fuzz_target!(|data: &[u8]| {
    let (first, location) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let Ok(raw) = std::str::from_utf8(first) else { return };
    let accepted = check(raw);
    if let Some(loc) = location.and_then(|l| std::str::from_utf8(l).ok()) {
        let page = "https://shop.example.com/a/b?c=d";
        for base in [Some(page.to_string()), accepted.map(|t| t.url)].into_iter().flatten() {
            let next = redirect_target(&base, loc, false);
            let joined = Url::parse(&base).unwrap().join(loc.trim()).ok();
            match (&next, joined) {
                (Ok(t), Some(j)) => {
                    assert_eq!(check(j.as_str()).as_ref(), Some(t));
                    assert_public(t);
                }
                (Ok(t), None) => panic!("redirect {loc:?} accepted as {t:?} without a join"),
                (Err(_), Some(j)) => assert!(check_url(j.as_str(), false).is_err()),
                (Err(_), None) => {}
            }
        }
    }
});

/// Runs both settings on `raw` and checks the properties; the target without the local setting.
fn check(raw: &str) -> Option<Target> {
    let strict = check_url(raw, false);
    let local = check_url(raw, true);
    if let Ok(t) = &strict {
        assert_public(t);
        assert_eq!(local.as_ref().ok(), Some(t), "the local setting only adds");
        assert_eq!(check_url(&t.url, false).as_ref(), Ok(t), "not idempotent");
    }
    if let (Err(_), Ok(t)) = (&strict, &local) {
        let u = Url::parse(&t.url).unwrap();
        let loopback = match u.host().unwrap() {
            Host::Ipv4(ip) => ip.is_loopback(),
            Host::Ipv6(ip) => ip == Ipv6Addr::LOCALHOST,
            Host::Domain(d) => classify_domain(d) == Reach::Loopback,
        };
        assert!(loopback, "the local setting opened {t:?}");
    }
    strict.ok()
}

fn assert_public(t: &Target) {
    let u = Url::parse(&t.url).expect("the target parses");
    assert_eq!(u.as_str(), t.url, "the target is its own serialisation");
    assert!(matches!(u.scheme(), "http" | "https"));
    assert!(u.username().is_empty() && u.password().is_none());
    assert_eq!(u.host_str(), Some(t.host.as_str()));
    match u.host().expect("a host") {
        Host::Ipv4(ip) => assert!(global_v4(ip), "{ip} is not global"),
        Host::Ipv6(ip) => assert!(global_v6(ip), "{ip} is not global"),
        Host::Domain(d) => {
            let d = d.trim_end_matches('.');
            assert!(d.contains('.') && d != "localhost" && !d.ends_with(".localhost"), "{d}");
            let tld = d.rsplit('.').next().unwrap();
            assert!(!tld.bytes().all(|b| b.is_ascii_digit()), "numeric name {d}");
        }
    }
}

fn global_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (18..20).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0))
}

fn global_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return global_v4(v4);
    }
    let s = ip.segments();
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || s[..6] == [0; 6] {
        return global_v4(Ipv4Addr::from(u128::from(ip) as u32));
    }
    // Global unicast 2000::/3 only, without documentation, 6to4 and the IETF protocol block.
    s[0] & 0xe000 == 0x2000
        && !(s[0] == 0x2001 && (s[1] == 0x0db8 || s[1] < 0x0200))
        && s[0] != 0x2002
        && s[0] & 0xfff0 != 0x3ff0
}
