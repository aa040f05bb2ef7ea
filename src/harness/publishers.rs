//! Publishers, their boilerplate footers, and publication dates of generated documents.
//!
//! Input: a random stream and the publishers already used in a family. Output: a publisher
//! (never the base's, and all different within a family while the 12 built-in ones last)
//! and, with the corpus's boilerplate share, its fixed footer: the shared boilerplate that a
//! detector should not mistake for duplication. Dates are days after 2024-01-01, written as
//! `YYYY-MM-DD` with a civil-from-days conversion (no date crate needed).

use super::random::Rng;

/// Publishers and their fixed footers (`None`: never carries boilerplate).
const PUBLISHERS: &[(&str, Option<&str>)] = &[
    (
        "Harbor City Times",
        Some(
            "We use cookies to personalise content and ads and to analyse our traffic. By \
             continuing to use this site you agree to our use of cookies. You can change \
             your choice at any time in Privacy Settings.",
        ),
    ),
    (
        "The Northern Ledger",
        Some(
            "Related News: Markets | Energy | Politics | World | Technology | Opinion | \
             Weather | Sport\nFollow The Northern Ledger for live updates throughout the day.",
        ),
    ),
    (
        "Valley Wire",
        Some(
            "Media playback is unsupported on your device. Watch the full report in our app \
             or open this page in a supported browser.",
        ),
    ),
    (
        "Meridian Daily",
        Some(
            "Copyright Meridian Daily. All rights reserved. This material may not be \
             published, broadcast, rewritten or redistributed in any form without prior \
             written permission.",
        ),
    ),
    (
        "Pacific Courier",
        Some(
            "Sign up for the morning briefing to get the day's top stories delivered to \
             your inbox before breakfast. You can unsubscribe at any time with one click.",
        ),
    ),
    ("Eastbrook Gazette", None),
    ("Lakeside Observer", None),
    ("Summit Financial Post", None),
    ("Riverton Chronicle", None),
    ("Global Markets Digest", None),
    ("Capital Business Review", None),
    ("Coastline Newswire", None),
];

/// Picks a publisher index not in `exclude` (when possible); with probability
/// `boilerplate` one with a footer, whose footer is then returned.
pub(super) fn pick_publisher(
    rng: &mut Rng,
    boilerplate: f64,
    exclude: &[usize],
) -> (usize, Option<&'static str>) {
    let with_footer = rng.chance(boilerplate);
    let allowed = |i: usize| !with_footer || PUBLISHERS[i].1.is_some();
    let mut pool: Vec<usize> = (0..PUBLISHERS.len())
        .filter(|&i| allowed(i) && !exclude.contains(&i))
        .collect();
    if pool.is_empty() {
        // More family members than publishers: repeat all but the base's.
        pool = (0..PUBLISHERS.len())
            .filter(|&i| allowed(i) && exclude.first() != Some(&i))
            .collect();
    }
    let i = rng.pick(&pool).copied().unwrap_or(0);
    let footer = if with_footer {
        PUBLISHERS.get(i).and_then(|p| p.1)
    } else {
        None
    };
    (i, footer)
}

/// The name of publisher `i`.
pub(super) fn publisher_name(i: usize) -> String {
    PUBLISHERS.get(i).map_or("Unknown", |p| p.0).to_string()
}

/// `YYYY-MM-DD` for `day` days after 2024-01-01.
pub(super) fn date_string(day: u64) -> String {
    let z = 19_723 + day as i64 + 719_468; // 2024-01-01 is day 19,723 of the Unix epoch
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
