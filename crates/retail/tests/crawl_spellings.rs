//! Property test of `crow_retail::crawl::check_url`: thousands of generated spellings of
//! special-purpose and global addresses (see `support`), each with the address it means.
//! For every one the WHATWG parse (the `url` crate, what the fetcher's `ada` also implements)
//! must give that address; special ones must be refused with `allow_loopback = false` (and, with
//! the local setting, pass only when they are 127.0.0.0/8, `::1` or `localhost`); global ones
//! must be accepted, and the returned URL must parse back to the same address.

mod support;

use std::net::Ipv6Addr;

use crow_retail::crawl::check_url;
use proptest::prelude::*;
use support::{Meant, Spelling};
use url::{Host, Url};

/// Generated cases per property (five properties).
const CASES: u32 = 4000;

fn meant_host(u: &Url) -> Option<Meant> {
    Some(match u.host()? {
        Host::Ipv4(ip) => Meant::V4(ip),
        Host::Ipv6(ip) => Meant::V6(ip),
        Host::Domain(d) => Meant::Name(d.to_string()),
    })
}

fn check(s: &Spelling) -> Result<(), TestCaseError> {
    let parsed = Url::parse(&s.url).map_err(|e| TestCaseError::fail(format!("{s:?}: {e}")))?;
    prop_assert_eq!(meant_host(&parsed), Some(s.meant.clone()), "{:?} parsed as {}", s, parsed);
    if s.special() {
        prop_assert!(check_url(&s.url, false).is_err(), "special {:?} accepted", s);
        prop_assert_eq!(
            check_url(&s.url, true).is_ok(),
            s.direct_loopback(),
            "{:?} with the local setting",
            s
        );
    } else {
        let t = check_url(&s.url, false)
            .map_err(|e| TestCaseError::fail(format!("global {s:?} refused: {}", e.message)))?;
        prop_assert_eq!(&t.url, parsed.as_str());
        let again = Url::parse(&t.url).unwrap();
        prop_assert_eq!(meant_host(&again), Some(s.meant.clone()));
        prop_assert_eq!(again.as_str(), t.url.as_str());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn special_ipv4_spellings_are_refused(s in support::special_v4_spellings()) {
        prop_assert!(s.special());
        check(&s)?;
    }

    #[test]
    fn global_ipv4_spellings_are_accepted(s in support::global_v4_spellings()) {
        prop_assert!(!s.special());
        check(&s)?;
    }

    #[test]
    fn special_ipv6_spellings_are_refused(s in support::special_v6_spellings()) {
        prop_assert!(s.special());
        check(&s)?;
    }

    #[test]
    fn global_ipv6_spellings_are_accepted(s in support::global_v6_spellings()) {
        prop_assert!(!s.special());
        check(&s)?;
    }

    #[test]
    fn reserved_name_spellings_are_refused(s in support::special_name_spellings()) {
        check(&s)?;
    }
}

/// The oracle itself, on known addresses (so the generator's notion of "special" cannot drift).
#[test]
fn the_oracle_knows_the_registries() {
    use support::{special_v4, special_v6};
    let v4 = |s: &str| special_v4(u32::from(s.parse::<std::net::Ipv4Addr>().unwrap()));
    let v6 = |s: &str| special_v6(u128::from(s.parse::<Ipv6Addr>().unwrap()));
    assert!(v4("169.254.169.254") && v4("10.1.2.3") && v4("255.255.255.255") && v4("0.1.2.3"));
    assert!(!v4("1.1.1.1") && !v4("8.8.8.8") && !v4("100.128.0.1"));
    assert!(v6("::ffff:169.254.169.254") && v6("64:ff9b::a00:1") && v6("::1") && v6("fe80::1"));
    assert!(v6("2001:db8::1") && v6("2002::1") && v6("5f00::1") && v6("ff02::1"));
    assert!(!v6("2606:4700::1111") && !v6("::ffff:1.1.1.1") && !v6("64:ff9b::808:808"));
}
