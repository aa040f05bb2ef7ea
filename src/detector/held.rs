//! Report items held between the batch that makes them and the moment the report is put in
//! order: in memory, or, for a streamed JSON Lines report ([`super::Detector::scan_jsonl`]
//! with `--tmp-dir`), written as JSON to a temporary file (a [`Spool`]) with only their place
//! kept (12 bytes an item). Clusters are numbered only once every batch is done (in order of
//! their first document), and a pair's passages are made in its component's batch, so both
//! wait; spilled, they take disk, not memory, and are read back a chunk at a time in report
//! order.

use super::spool::Spool;
use crate::error::{Error, Result};
use crate::report::{json, ClusterReport, PairReport};
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Where a report's clusters and pairs go once they are in order.
pub(super) enum Out<'w> {
    /// Into the report, in memory.
    Report {
        clusters: Vec<ClusterReport>,
        pairs: Vec<PairReport>,
    },
    /// Written to `w` as JSON Lines messages (after the `begin` message); `name` names `w`
    /// in errors.
    Jsonl {
        w: &'w mut dyn std::io::Write,
        name: &'w str,
    },
}

impl Out<'_> {
    /// Whether items are streamed (and may be spilled while they wait).
    pub(super) fn streams(&self) -> bool {
        matches!(self, Out::Jsonl { .. })
    }

    pub(super) fn cluster(&mut self, c: ClusterReport) -> Result<()> {
        match self {
            Out::Report { clusters, .. } => clusters.push(c),
            Out::Jsonl { w, name } => {
                json::write_jsonl_line(&mut **w, "cluster", &c).map_err(|e| Error::io(*name, e))?
            }
        }
        Ok(())
    }

    pub(super) fn pair(&mut self, p: PairReport) -> Result<()> {
        match self {
            Out::Report { pairs, .. } => pairs.push(p),
            Out::Jsonl { w, name } => {
                json::write_jsonl_line(&mut **w, "pair", &p).map_err(|e| Error::io(*name, e))?
            }
        }
        Ok(())
    }
}

/// Items read back from the spool at a time.
const READ_BACK: usize = 4096;

/// Items in numbered slots, each set at most once and taken at most once.
pub(super) struct Held<T> {
    mem: Vec<Option<T>>,
    spill: Option<Spilled>,
}

struct Spilled {
    spool: Spool,
    /// Per slot: offset and length of its JSON in the spool (length 0: no item).
    at: Vec<(u64, u32)>,
}

impl<T: Serialize + DeserializeOwned + Send> Held<T> {
    /// `slots` empty slots, in memory, or in `spool` when one is given.
    pub(super) fn new(slots: usize, spool: Option<Spool>) -> Held<T> {
        match spool {
            Some(spool) => Held {
                mem: Vec::new(),
                spill: Some(Spilled {
                    spool,
                    at: vec![(0, 0); slots],
                }),
            },
            None => Held {
                mem: (0..slots).map(|_| None).collect(),
                spill: None,
            },
        }
    }

    /// The number of slots.
    pub(super) fn len(&self) -> usize {
        match &self.spill {
            Some(s) => s.at.len(),
            None => self.mem.len(),
        }
    }

    /// Sets slot `slot` for each `(slot, item)` (serialised in parallel when spilled).
    pub(super) fn put(&mut self, items: Vec<(usize, T)>) -> Result<()> {
        match &mut self.spill {
            None => {
                for (slot, item) in items {
                    self.mem[slot] = Some(item);
                }
            }
            Some(s) => {
                let json: Vec<(usize, Vec<u8>)> = items
                    .into_par_iter()
                    .map(|(slot, item)| {
                        serde_json::to_vec(&item)
                            .map(|j| (slot, j))
                            .map_err(|e| Error::internal(format!("a report item: {e}")))
                    })
                    .collect::<Result<_>>()?;
                for (slot, j) in json {
                    let len = u32::try_from(j.len())
                        .map_err(|_| Error::internal("a report item over 4 GiB"))?;
                    s.at[slot] = (s.spool.append(&j)?, len);
                }
            }
        }
        Ok(())
    }

    /// Appends `items` in new slots, in order.
    pub(super) fn push(&mut self, items: Vec<T>) -> Result<()> {
        let first = self.len();
        match &mut self.spill {
            Some(s) => s.at.resize(first + items.len(), (0, 0)),
            None => self.mem.resize_with(first + items.len(), || None),
        }
        self.put(
            items
                .into_iter()
                .enumerate()
                .map(|(i, x)| (first + i, x))
                .collect(),
        )
    }

    /// Ends writing: what was put can be taken.
    pub(super) fn finish(&mut self) -> Result<()> {
        match &mut self.spill {
            Some(s) => s.spool.finish(),
            None => Ok(()),
        }
    }

    /// Takes the items of `slots` in that order, a chunk at a time, and hands each chunk to
    /// `f` (`None` for a slot never set).
    pub(super) fn drain(
        &mut self,
        slots: impl IntoIterator<Item = usize>,
        mut f: impl FnMut(Vec<Option<T>>) -> Result<()>,
    ) -> Result<()> {
        let slots: Vec<usize> = slots.into_iter().collect();
        for chunk in slots.chunks(READ_BACK) {
            let items = match &self.spill {
                None => chunk.iter().map(|&k| self.mem[k].take()).collect(),
                Some(s) => {
                    let wanted: Vec<(u64, usize)> = chunk
                        .iter()
                        .map(|&k| s.at[k])
                        .filter(|x| x.1 > 0)
                        .map(|(o, l)| (o, l as usize))
                        .collect();
                    let mut bytes = s.spool.read(&wanted)?.into_iter();
                    let raw: Vec<Option<Vec<u8>>> = chunk
                        .iter()
                        .map(|&k| if s.at[k].1 > 0 { bytes.next() } else { None })
                        .collect();
                    raw.into_par_iter()
                        .map(|b| match b {
                            None => Ok(None),
                            Some(b) => serde_json::from_slice(&b).map(Some).map_err(|e| {
                                Error::internal(format!("a spilled report item: {e}"))
                            }),
                        })
                        .collect::<Result<_>>()?
                }
            };
            f(items)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(spool: Option<Spool>) -> Vec<Option<String>> {
        let mut h: Held<String> = Held::new(3, spool);
        h.put(vec![(2, "two".into()), (0, "zero".into())]).unwrap();
        h.push(vec!["three".into(), "four".into()]).unwrap();
        h.finish().unwrap();
        let mut got = Vec::new();
        h.drain([4, 1, 0, 3, 2], |chunk| {
            got.extend(chunk);
            Ok(())
        })
        .unwrap();
        got
    }

    #[test]
    fn items_come_back_in_the_order_asked_for_in_memory_and_spilled() {
        let want: Vec<Option<String>> = vec![
            Some("four".into()),
            None,
            Some("zero".into()),
            Some("three".into()),
            Some("two".into()),
        ];
        assert_eq!(roundtrip(None), want);
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(roundtrip(Some(Spool::create(dir.path()).unwrap())), want);
        // The spool is removed with the items.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
