//! Crawler rules: which URLs may be fetched (SSRF defence, OWASP API7) and how an HTML page
//! becomes a title and plain text.

use std::net::{Ipv4Addr, Ipv6Addr};

use crow_common::ApiError;
use url::{Host, Url};

/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// A crawl target that passed the checks. `url` is the WHATWG serialisation of the URL that was
/// checked, and the only string the crawler may fetch: the fetcher (workerd's `ada`, the same
/// URL Standard) parses it back to the very host that was classified here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub url: String,
    /// The canonical host (`example.com`, `93.184.216.34`, `[2606:4700::1111]`).
    pub host: String,
}

/// How the crawler sees a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// A globally reachable address, or a host name that is not reserved for local use.
    Public,
    /// This machine, spelled directly: 127.0.0.0/8, `::1`, `localhost`, `*.localhost`. Crawlable
    /// only with the local development setting.
    Loopback,
    /// Everything else: private, link-local, shared, documentation, benchmarking, multicast,
    /// reserved, translation and tunnelling ranges, and names reserved for local use.
    Special,
}

/// The IANA IPv4 Special-Purpose Address Registry, every entry (also the few marked globally
/// reachable, such as AS112 and AMT: none of them serves web pages), plus multicast 224.0.0.0/4.
/// 127.0.0.0/8 (loopback) is handled apart. 240.0.0.0/4 includes 255.255.255.255.
const IPV4_SPECIAL: &[([u8; 4], u8)] = &[
    ([0, 0, 0, 0], 8),       // "this network"
    ([10, 0, 0, 0], 8),      // private use
    ([100, 64, 0, 0], 10),   // shared address space (carrier-grade NAT)
    ([169, 254, 0, 0], 16),  // link local (cloud metadata endpoints)
    ([172, 16, 0, 0], 12),   // private use
    ([192, 0, 0, 0], 24),    // IETF protocol assignments (DS-Lite, NAT64 discovery, PCP, TURN)
    ([192, 0, 2, 0], 24),    // documentation (TEST-NET-1)
    ([192, 31, 196, 0], 24), // AS112-v4
    ([192, 52, 193, 0], 24), // AMT
    ([192, 88, 99, 0], 24),  // deprecated 6to4 relay anycast
    ([192, 168, 0, 0], 16),  // private use
    ([192, 175, 48, 0], 24), // direct delegation AS112 service
    ([198, 18, 0, 0], 15),   // benchmarking
    ([198, 51, 100, 0], 24), // documentation (TEST-NET-2)
    ([203, 0, 113, 0], 24),  // documentation (TEST-NET-3)
    ([224, 0, 0, 0], 4),     // multicast
    ([240, 0, 0, 0], 4),     // reserved; limited broadcast 255.255.255.255
];

/// Special-purpose blocks inside 2000::/3 (the only global unicast space; everything outside it
/// is special anyway: ::/128, 100::/64, 64:ff9b:1::/48, 5f00::/16, fc00::/7, fe80::/10,
/// fec0::/10, ff00::/8 and the IETF-reserved rest).
const IPV6_SPECIAL: &[(u128, u8)] = &[
    // IETF protocol assignments, with Teredo 2001::/32 (an obfuscated IPv4 inside), benchmarking
    // 2001:2::/48, ORCHID, AMT, AS112-v6, drone remote ID and the anycast sub-registrations.
    (0x2001_0000 << 96, 23),
    (0x2001_0db8 << 96, 32),      // documentation
    (0x2002 << 112, 16),          // 6to4: the embedded IPv4 is reached through a relay; refused
    (0x2620_004f_8000 << 80, 48), // direct delegation AS112 service
    (0x3fff << 112, 20),          // documentation
];

fn in_prefix(bits: u128, width: u32, net: u128, len: u8) -> bool {
    let shift = width - u32::from(len);
    len == 0 || (bits >> shift) == (net >> shift)
}

/// Classifies an IPv4 address.
pub fn classify_ipv4(ip: Ipv4Addr) -> Reach {
    let bits = u128::from(u32::from(ip));
    if ip.octets()[0] == 127 {
        Reach::Loopback
    } else if IPV4_SPECIAL
        .iter()
        .any(|(net, len)| in_prefix(bits, 32, u128::from(u32::from_be_bytes(*net)), *len))
    {
        Reach::Special
    } else {
        Reach::Public
    }
}

/// Classifies an IPv6 address. IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96) and
/// well-known NAT64 (64:ff9b::/96) addresses are judged by the IPv4 address they carry, and are
/// never "loopback" (only `::1` is): the local setting does not open the embedded spellings.
pub fn classify_ipv6(ip: Ipv6Addr) -> Reach {
    let bits = u128::from(ip);
    if ip == Ipv6Addr::LOCALHOST {
        return Reach::Loopback;
    }
    if ip.is_unspecified() {
        return Reach::Special;
    }
    let top96 = bits >> 32;
    if top96 == 0xffff || top96 == 0 || top96 == 0x0064_ff9b << 64 {
        return match classify_ipv4(Ipv4Addr::from(bits as u32)) {
            Reach::Public => Reach::Public,
            _ => Reach::Special,
        };
    }
    if bits >> 125 != 0b001
        || IPV6_SPECIAL.iter().any(|(net, len)| in_prefix(bits, 128, *net, *len))
    {
        return Reach::Special;
    }
    Reach::Public
}

/// Top-level names reserved for local, test or non-DNS use (RFC 2606, 6761, 6762, 7686, 8375,
/// 9476, ICANN's `.internal`), plus `.localdomain` and the never-delegated `.home`, `.corp` and
/// `.lan`. `.arpa` is refused whole (reverse-DNS and `home.arpa`; no web pages there).
const RESERVED_TLDS: &[&str] = &[
    "local",
    "localdomain",
    "internal",
    "test",
    "invalid",
    "example",
    "onion",
    "alt",
    "arpa",
    "home",
    "corp",
    "lan",
];

/// Classifies a host name as the URL parser leaves it (ASCII, lower case, IDNA-mapped).
/// `localhost` and `*.localhost` are loopback; single-label names, reserved top-level names and
/// names whose last label is a number (which a resolver might take for an address) are special.
pub fn classify_domain(name: &str) -> Reach {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return Reach::Loopback;
    }
    let Some((_, tld)) = name.rsplit_once('.') else {
        return Reach::Special;
    };
    let hex = tld.strip_prefix("0x").is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
    if tld.is_empty()
        || RESERVED_TLDS.contains(&tld)
        || tld.bytes().all(|b| b.is_ascii_digit())
        || hex
    {
        return Reach::Special;
    }
    Reach::Public
}

/// Classifies the host of a parsed URL.
pub fn classify_host(host: &Host<&str>) -> Reach {
    match host {
        Host::Ipv4(ip) => classify_ipv4(*ip),
        Host::Ipv6(ip) => classify_ipv6(*ip),
        Host::Domain(name) => classify_domain(name),
    }
}

fn invalid(issue: &str) -> ApiError {
    ApiError::invalid_field("url", issue.to_string())
}

/// Checks a crawl URL: parsed by the WHATWG URL Standard (what the fetcher does), http or https,
/// no credentials, a public host. Hosts are judged on their canonical form, so every spelling of
/// an address (`0x7f.1`, `012.0.0.1`, `１２７。0.0.1`, `%31%32%37.0.0.1`, `[::ffff:a9fe:a9fe]`)
/// is judged as that address. Loopback targets pass only when `allow_loopback` (the local
/// development setting), so that tests can crawl a page served on 127.0.0.1; nothing else
/// special ever passes. The returned `Target.url` is the string to fetch.
pub fn check_url(raw: &str, allow_loopback: bool) -> Result<Target, ApiError> {
    const SHAPE: &str = "must be an absolute http or https URL of at most 2048 characters";
    if raw.trim().is_empty() || raw.len() > MAX_URL_LEN {
        return Err(invalid(SHAPE));
    }
    let url = Url::parse(raw).map_err(|_| invalid(SHAPE))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("only http and https URLs can be crawled"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not contain credentials"));
    }
    if url.port() == Some(0) {
        return Err(invalid("has no valid port"));
    }
    // What is fetched is this serialisation; it must parse back to itself.
    let serialised = url.as_str();
    if serialised.len() > MAX_URL_LEN || Url::parse(serialised).ok().as_ref() != Some(&url) {
        return Err(invalid(SHAPE));
    }
    let (Some(host), Some(host_str)) = (url.host(), url.host_str()) else {
        return Err(invalid("has no valid host"));
    };
    match classify_host(&host) {
        Reach::Public => {}
        Reach::Loopback if allow_loopback => {}
        _ => {
            return Err(ApiError::invalid_field(
                "url",
                "private, loopback, link-local and other special-purpose hosts cannot be crawled",
            )
            .detail("host", host_str.to_string()))
        }
    }
    Ok(Target { url: serialised.to_string(), host: host_str.to_string() })
}

/// The target of a redirect: `location` (a `Location` header) resolved against the URL that
/// answered, by the URL Standard, and then put through [`check_url`] like the first URL.
pub fn redirect_target(
    current: &str,
    location: &str,
    allow_loopback: bool,
) -> Result<Target, ApiError> {
    let base = Url::parse(current).map_err(|_| invalid("the redirecting URL is not valid"))?;
    let next = base
        .join(location.trim())
        .map_err(|_| invalid("the redirect target is not a valid URL reference"))?;
    check_url(next.as_str(), allow_loopback)
}

/// A page reduced to text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub title: String,
    pub text: String,
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| {
            let name = &tail[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                _ if name.starts_with("#x") || name.starts_with("#X") => {
                    u32::from_str_radix(&name[2..], 16).ok().and_then(char::from_u32)
                }
                _ if name.starts_with('#') => name[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Extracts the `<title>` and the visible text of an HTML document: drops `script`, `style`,
/// `noscript`, `template` and comments, turns block elements into line breaks, decodes entities
/// and collapses white space. Plain text (no tags) passes through.
pub fn extract_text(html: &str) -> Extracted {
    let lower = html.to_ascii_lowercase();
    let mut text = String::with_capacity(html.len() / 2);
    let mut title = String::new();
    let mut i = 0;
    let bytes = html.as_bytes();
    while i < bytes.len() {
        if bytes[i] != b'<' {
            let next = html[i..].find('<').map(|n| i + n).unwrap_or(bytes.len());
            text.push_str(&html[i..next]);
            i = next;
            continue;
        }
        if lower[i..].starts_with("<!--") {
            i = lower[i..].find("-->").map(|e| i + e + 3).unwrap_or(bytes.len());
            continue;
        }
        let end = match lower[i..].find('>') {
            Some(e) => i + e,
            None => break,
        };
        let tag = &lower[i + 1..end];
        let name: String =
            tag.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        let closing = tag.starts_with('/');
        if !closing
            && matches!(name.as_str(), "script" | "style" | "noscript" | "template" | "title")
        {
            let close = format!("</{name}");
            let stop = lower[end..].find(&close).map(|e| end + e).unwrap_or(bytes.len());
            if name == "title" && title.is_empty() {
                title = html[end + 1..stop.max(end + 1)].to_string();
            }
            i = lower[stop..].find('>').map(|e| stop + e + 1).unwrap_or(bytes.len());
            continue;
        }
        if matches!(
            name.as_str(),
            "p" | "div"
                | "br"
                | "li"
                | "tr"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "section"
                | "article"
                | "header"
                | "footer"
                | "ul"
                | "ol"
                | "table"
                | "blockquote"
                | "pre"
        ) {
            text.push('\n');
        } else {
            text.push(' ');
        }
        i = end + 1;
    }
    let collapse = |s: &str| {
        let decoded = decode_entities(s);
        let lines: Vec<String> = decoded
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.is_empty())
            .collect();
        lines.join("\n")
    };
    Extracted { title: collapse(&title).replace('\n', " "), text: collapse(&text) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_pass() {
        for ok in [
            "https://example.com",
            "http://shop.example.co.uk/a?b=c#d",
            "https://example.com:8443/x",
            "https://[2606:4700::1111]/",
        ] {
            assert!(check_url(ok, false).is_ok(), "{ok}");
        }
    }

    #[test]
    fn private_and_odd_urls_are_refused() {
        for bad in [
            "ftp://example.com",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "example.com",
            "http://user:pw@example.com",
            "http://10.0.0.5/",
            "http://172.16.3.4",
            "http://192.168.1.1",
            "http://169.254.169.254/latest/meta-data",
            "http://127.0.0.1:8080",
            "http://localhost/",
            "http://api.localhost",
            "http://[::1]/",
            "http://[fe80::1]/",
            "http://[fd00::1]",
            "http://[::ffff:10.0.0.1]/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0.0.0.0/",
            "http://intranet/",
            "http://printer.local/",
            "http://100.64.0.1",
            "",
        ] {
            let e = check_url(bad, false).unwrap_err();
            assert_eq!(e.details["field"], "url", "{bad}");
        }
    }

    /// Spellings that the hand-written host parser this replaced classified as public, although
    /// the URL Standard (the fetcher's parser) resolves them to special addresses or they name
    /// reserved domains. Each must be refused; the comment gives what the fetcher would reach.
    const REGRESSION_SPELLINGS: &[&str] = &[
        "http://127.0.0.0x1/",                    // 127.0.0.1
        "http://169.254.169.0xfe/",               // 169.254.169.254
        "http://10.0.0.0x1/",                     // 10.0.0.1
        "http://012.0.0.1/",                      // 10.0.0.1 (octal)
        "http://[::ffff:a9fe:a9fe]/",             // 169.254.169.254, mapped, in hex
        "http://[0:0:0:0:0:0:0:1]/",              // ::1
        "http://[0::1]/",                         // ::1
        "http://169.254.169\u{3002}254/",         // ideographic full stop
        "http://\u{ff11}\u{ff12}\u{ff17}.0.0.1/", // full-width digits
        "http://10.0.0.1\u{ff0e}/",               // full-width full stop, trailing
        "http://[::127.0.0.1]/",                  // IPv4-compatible loopback
        "http://[::a9fe:a9fe]/",                  // IPv4-compatible link-local
        "http://[64:ff9b::a9fe:a9fe]/",           // NAT64 of 169.254.169.254
        "http://[64:ff9b::169.254.169.254]/",     // same, dotted
        "http://[64:ff9b:1::a00:1]/",             // local-use NAT64
        "http://[2002:a9fe:a9fe::1]/",            // 6to4 of 169.254.169.254
        "http://[2001::1]/",                      // Teredo
        "http://[2001:db8::1]/",                  // documentation
        "http://[fec0::1]/",                      // deprecated site-local
        "http://[100::1]/",                       // discard-only
        "http://[3fff::1]/",                      // documentation
        "http://[5f00::1]/",                      // SRv6 SIDs
        "http://[2620:4f:8000::1]/",              // AS112
        "http://[0:0:0:0:0:ffff:7f00:1]/",        // 127.0.0.1, mapped
        "http://[::FFFF:7F00:1]/",                // same, upper case
        "http://192.0.2.1/",
        "http://198.51.100.7/",
        "http://203.0.113.9/",
        "http://192.88.99.1/",
        "http://192.31.196.1/",
        "http://192.52.193.1/",
        "http://192.175.48.1/",
        "http://router.home.arpa/",
        "http://db.localdomain/",
        "http://shop.test/",
        "http://x.invalid/",
        "http://www.example/",
        "http://hidden.onion/",
    ];

    /// `Location` values a public page might answer with (resolved against it), which the old
    /// redirect re-check passed because the `url` crate writes mapped addresses in hex.
    const REGRESSION_REDIRECTS: &[&str] = &[
        "http://[::ffff:169.254.169.254]/latest/meta-data",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:10.0.0.1]/",
    ];

    /// More redirect targets that must be refused however they are written.
    const HOSTILE_REDIRECTS: &[&str] = &[
        "//127.0.0.0x1/",
        "//169.254.169.254\u{3002}/",
        "/\\169.254.169.254/",
        "\\\\10.0.0.1\\admin",
        "http://0x7f000001/",
        "https://[0::1]/",
        "HTTP://LOCALHOST./",
        "//[::ffff:192.168.0.1]:8080/x",
        "http:\\\\0251.0376.0251.0376/",
        "  //10.1/  ",
    ];

    #[test]
    fn every_spelling_of_a_special_address_is_refused() {
        for s in REGRESSION_SPELLINGS {
            let e = check_url(s, false).expect_err(s);
            assert_eq!(e.details["field"], "url", "{s}");
            // With the local setting only the direct loopback spellings open.
            let direct_loopback = match Url::parse(s).unwrap().host() {
                Some(Host::Ipv4(ip)) => ip.is_loopback(),
                Some(Host::Ipv6(ip)) => ip.is_loopback(),
                _ => false,
            };
            assert_eq!(check_url(s, true).is_ok(), direct_loopback, "{s}");
        }
    }

    #[test]
    fn redirects_are_resolved_and_checked_like_the_first_url() {
        let page = check_url("https://shop.example.com/a/page?x=1", false).unwrap();
        for loc in REGRESSION_REDIRECTS.iter().chain(HOSTILE_REDIRECTS) {
            assert!(redirect_target(&page.url, loc, false).is_err(), "{loc}");
        }
        // Mapped and compatible loopback stay closed even with the local setting.
        for loc in REGRESSION_REDIRECTS.iter().chain(&["http://[::127.0.0.1]/"]) {
            assert!(redirect_target(&page.url, loc, true).is_err(), "{loc}");
        }
        // Ordinary redirects resolve by the URL Standard and come back canonical.
        for (loc, want) in [
            ("/b", "https://shop.example.com/b"),
            ("c?y=2", "https://shop.example.com/a/c?y=2"),
            ("//cdn.example.net/x", "https://cdn.example.net/x"),
            ("HTTP://Other.Example.ORG:80/p", "http://other.example.org/p"),
            ("https://[2606:4700:0:0::1111]/", "https://[2606:4700::1111]/"),
        ] {
            assert_eq!(redirect_target(&page.url, loc, false).unwrap().url, want, "{loc}");
        }
        let local = check_url("http://127.0.0.1:9000/a", true).unwrap();
        let next = redirect_target(&local.url, "//127.0.0.0x1:9000/b", true).unwrap();
        assert_eq!(next.url, "http://127.0.0.1:9000/b");
        assert!(redirect_target(&local.url, "http://10.0.0.1/", true).is_err());
    }

    #[test]
    fn the_target_is_the_canonical_serialisation() {
        for (raw, url, host) in [
            (
                "  HTTPS://Shop.Example.COM./a/../b?q#f",
                "https://shop.example.com./b?q#f",
                "shop.example.com.",
            ),
            ("http://\u{ff53}hop.example.com:80/", "http://shop.example.com/", "shop.example.com"),
            ("http://b\u{fc}cher.example/", "", ""),
            ("http://b\u{fc}cher.de/x y", "http://xn--bcher-kva.de/x%20y", "xn--bcher-kva.de"),
            ("http://1.1.0x101/", "http://1.1.1.1/", "1.1.1.1"),
            (
                "http://[2606:4700:0::1111]:8443",
                "http://[2606:4700::1111]:8443/",
                "[2606:4700::1111]",
            ),
            ("http://[::ffff:8.8.8.8]/", "http://[::ffff:808:808]/", "[::ffff:808:808]"),
        ] {
            match check_url(raw, false) {
                Ok(t) => assert_eq!((t.url.as_str(), t.host.as_str()), (url, host), "{raw}"),
                Err(e) => assert!(url.is_empty(), "{raw}: {e:?}"),
            }
        }
        let t = check_url("http://0x7f.1:9000/page", true).unwrap();
        assert_eq!(t.url, "http://127.0.0.1:9000/page");
    }

    #[test]
    fn classification_follows_the_registries() {
        use std::net::{Ipv4Addr, Ipv6Addr};
        let v4 = |s: &str| classify_ipv4(s.parse::<Ipv4Addr>().unwrap());
        let v6 = |s: &str| classify_ipv6(s.parse::<Ipv6Addr>().unwrap());
        for s in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.255",
            "192.0.3.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "11.0.0.1",
            "169.253.255.255",
            "192.169.0.1",
        ] {
            assert_eq!(v4(s), Reach::Public, "{s}");
        }
        for s in [
            "0.0.0.0",
            "0.255.255.255",
            "10.255.255.255",
            "100.64.0.0",
            "100.127.255.255",
            "169.254.0.1",
            "172.16.0.0",
            "172.31.255.255",
            "192.0.0.9",
            "192.0.0.170",
            "192.0.2.255",
            "192.31.196.0",
            "192.52.193.255",
            "192.88.99.1",
            "192.168.255.255",
            "192.175.48.6",
            "198.18.0.0",
            "198.19.255.255",
            "198.51.100.0",
            "203.0.113.255",
            "224.0.0.1",
            "239.255.255.255",
            "240.0.0.0",
            "255.255.255.255",
        ] {
            assert_eq!(v4(s), Reach::Special, "{s}");
        }
        assert_eq!(v4("127.255.0.1"), Reach::Loopback);
        for s in [
            "2606:4700::1111",
            "2001:4860:4860::8888",
            "2a00:1450::1",
            "2001:200::1",
            "2003::1",
            "3ffe::1",
            "::ffff:1.1.1.1",
            "64:ff9b::808:808",
            "2620:4f:7fff::1",
        ] {
            assert_eq!(v6(s), Reach::Public, "{s}");
        }
        for s in [
            "::",
            "::ffff:0:0",
            "::ffff:169.254.169.254",
            "::10.0.0.1",
            "::0.0.0.2",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "100::",
            "100:0:0:1::1",
            "2001::",
            "2001:1::1",
            "2001:2::1",
            "2001:3::1",
            "2001:4:112::1",
            "2001:10::1",
            "2001:20::1",
            "2001:30::1",
            "2001:1ff:ffff::1",
            "2001:db8:ffff::1",
            "2002::1",
            "2620:4f:8000::",
            "3fff:fff::1",
            "5f00::1",
            "fc00::1",
            "fdff::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "feff::1",
            "ff02::1",
            "::ffff:0:a00:1",
            "4000::1",
            "8000::1",
            "1::1",
            "0:1::1",
        ] {
            assert_eq!(v6(s), Reach::Special, "{s}");
        }
        assert_eq!(v6("::1"), Reach::Loopback);
        for (name, reach) in [
            ("example.com", Reach::Public),
            ("shop.example.co.uk.", Reach::Public),
            ("localhost", Reach::Loopback),
            ("localhost.", Reach::Loopback),
            ("api.localhost", Reach::Loopback),
            ("intranet", Reach::Special),
            ("printer.local", Reach::Special),
            ("metadata.google.internal", Reach::Special),
            ("nas.home.arpa", Reach::Special),
            ("1.0.0.127.in-addr.arpa", Reach::Special),
            ("box.localdomain", Reach::Special),
            ("a.test", Reach::Special),
            ("a.invalid", Reach::Special),
            ("a.example", Reach::Special),
            ("a.onion", Reach::Special),
            ("1.2.3.4..", Reach::Special),
            ("a.0x7f", Reach::Special),
            ("", Reach::Special),
        ] {
            assert_eq!(classify_domain(name), reach, "{name}");
        }
    }

    #[test]
    fn loopback_only_with_the_local_setting() {
        assert!(check_url("http://127.0.0.1:9000/page", true).is_ok());
        assert!(check_url("http://localhost:9000/page", true).is_ok());
        assert!(check_url("http://[::1]:9000/", true).is_ok());
        assert!(check_url("http://10.0.0.1/", true).is_err(), "private ranges stay closed");
        assert!(check_url("http://169.254.169.254/", true).is_err());
        assert!(check_url("http://0x7f000001:9000/", true).is_ok(), "127.0.0.1");
        assert!(check_url("http://[::ffff:127.0.0.1]/", true).is_err(), "only ::1 and 127/8");
        assert!(check_url("http://[::]/", true).is_err());
        assert!(check_url("http://0.0.0.0/", true).is_err());
    }

    #[test]
    fn html_becomes_text() {
        let html = r#"<!doctype html><html><head><title>Returns &amp; Refunds</title>
            <style>body{color:red}</style><script>var x = "<p>no</p>";</script></head>
            <body><h1>Returns</h1><p>Items can be returned within&nbsp;30 days.</p><!-- hidden -->
            <ul><li>Keep the receipt</li><li>Tags attached &#8212; unworn</li></ul></body></html>"#;
        let e = extract_text(html);
        assert_eq!(e.title, "Returns & Refunds");
        assert!(e.text.contains("Items can be returned within 30 days."));
        assert!(e.text.contains("Tags attached \u{2014} unworn"));
        assert!(
            !e.text.contains("color:red")
                && !e.text.contains("no</p>")
                && !e.text.contains("hidden")
        );
        assert_eq!(extract_text("just text").text, "just text");
        assert_eq!(extract_text("<p>unclosed <b").text, "unclosed");
    }
}
