//! One pair explained, without a corpus (`syndup compare A B`): two texts -> their exact
//! similarity under the detector's settings, the chance that LSH makes them a candidate (the
//! S-curve at their Jaccard), the relation a scan would report, and their shared passages.

use super::Detector;
use crate::align::{align, Alignment};
use crate::error::{Error, Result};
use crate::lsh;
use crate::report::PairRelation;
use crate::shingle::Shingler;
use crate::verify::{MatchKind, Similarity};
use crate::ShingleKind;
use serde::Serialize;

/// Which of the two texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The first text.
    A,
    /// The second text.
    B,
}

/// Two texts compared as a scan would compare them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairExplained {
    /// Words (normalised tokens) of each text.
    pub words: [usize; 2],
    /// Shared shingles and each text's distinct shingles (the ratios below are of these).
    pub shared: u32,
    /// Distinct shingles of the first text.
    pub shingles_a: u32,
    /// Distinct shingles of the second text.
    pub shingles_b: u32,
    /// Exact Jaccard similarity, rounded to 4 decimals.
    pub jaccard: f64,
    /// Share of the first text's shingles found in the second.
    pub containment_a_in_b: f64,
    /// Share of the second text's shingles found in the first.
    pub containment_b_in_a: f64,
    /// LSH bands and rows of these settings.
    pub bands: usize,
    /// Rows per band.
    pub rows: usize,
    /// Chance that MinHash LSH makes the pair a candidate: `1 - (1 - J^rows)^bands`.
    pub candidate_probability: f64,
    /// What a scan would report the pair as, when it meets the threshold or the containment
    /// threshold (`None`: not a match).
    pub relation: Option<PairRelation>,
    /// For `contained`: the text that lies inside the other.
    pub contained: Option<Side>,
    /// Runs of shared shingles as byte spans in both texts.
    pub alignment: Alignment,
}

impl Detector {
    /// Compares two texts with this detector's settings (shingles, threshold, containment,
    /// bands and rows). An error when either has no words.
    pub fn compare(&self, a: &str, b: &str) -> Result<PairExplained> {
        let c = &self.config;
        let mut sh = Shingler::new(c.shingle, c.ngram);
        let (mut sa, mut sb) = (Vec::new(), Vec::new());
        let wa = sh.shingles_into(a, &mut sa);
        let wb = sh.shingles_into(b, &mut sb);
        for (words, name) in [(wa, "first"), (wb, "second")] {
            if words == 0 {
                return Err(Error::input(format!(
                    "the {name} text has no words after normalisation"
                )));
            }
        }
        let sim = Similarity::exact(&sa, &sb);
        let (bands, rows) = self.bands_rows();
        let j = sim.jaccard();
        let (relation, contained) = match self.criteria().relation(&sim) {
            Some(MatchKind::NearDuplicate) => (Some(PairRelation::NearDuplicate), None),
            Some(MatchKind::AInB) => (Some(PairRelation::Contained), Some(Side::A)),
            Some(MatchKind::BInA) => (Some(PairRelation::Contained), Some(Side::B)),
            None => (None, None),
        };
        let k = match c.shingle {
            ShingleKind::Word => c.ngram,
            ShingleKind::Char => 3,
        };
        Ok(PairExplained {
            words: [wa, wb],
            shared: sim.shared,
            shingles_a: sim.size_a,
            shingles_b: sim.size_b,
            jaccard: crate::verify::round4(j),
            containment_a_in_b: crate::verify::round4(sim.containment_a_in_b()),
            containment_b_in_a: crate::verify::round4(sim.containment_b_in_a()),
            bands,
            rows,
            candidate_probability: crate::verify::round4(lsh::probability(j, bands, rows)),
            relation,
            contained,
            alignment: align(a, b, k),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    #[test]
    fn a_trimmed_copy_is_contained_with_its_passage() {
        let story: Vec<String> = (0..200).map(|i| format!("w{i}")).collect();
        let whole = story.join(" ");
        let part = story[..120].join(" ");
        let d = Detector::new(Config::default()).unwrap();
        let e = d.compare(&part, &whole).unwrap();
        assert_eq!((e.words, e.shared), ([120, 200], 116));
        assert_eq!(e.relation, Some(PairRelation::Contained));
        assert_eq!(e.contained, Some(Side::A));
        assert_eq!(e.containment_a_in_b, 1.0);
        assert!(e.candidate_probability < 0.5, "{e:?}");
        assert_eq!(e.alignment.passages.len(), 1);
        assert_eq!(e.alignment.passages[0].a_end, part.len());
        let e = d.compare(&whole, &whole).unwrap();
        assert_eq!(
            (e.relation, e.candidate_probability),
            (Some(PairRelation::NearDuplicate), 1.0)
        );
        assert!(d.compare("...", &whole).is_err());
    }
}
