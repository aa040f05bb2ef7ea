//! `syndup eval` and `syndup generate`: the benchmark harness on the command line.

use super::*;

pub(super) fn eval(args: &EvalArgs) -> syndup::Result<ExitCode> {
    let found = syndup::harness::eval::read_found(&args.result)?;
    let e = syndup::harness::eval::evaluate(
        &args.truth,
        &args.corpus,
        &found,
        args.threshold,
        args.ngram,
    )?;
    let mut out = std::io::stdout().lock();
    let w = if args.json {
        serde_json::to_writer_pretty(&mut out, &e)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out))
    } else {
        (|| -> std::io::Result<()> {
            writeln!(
                out,
                "{} documents; found {} pairs in {} clusters",
                e.documents,
                found.pairs.len(),
                found.clusters.len()
            )?;
            let a = &e.at_threshold;
            writeln!(out, "pairs with true Jaccard >= {}: precision {:.4} ({}/{}), recall {:.4} ({}/{}), F1 {:.4}", e.threshold, a.precision, a.true_positives, a.found, a.recall, a.recalled, a.relevant, a.f1)?;
            let b = &e.all_planted;
            writeln!(
                out,
                "all planted pairs: recall {:.4} ({}/{}), F1 {:.4}",
                b.recall, b.recalled, b.relevant, b.f1
            )?;
            writeln!(out, "cluster ARI: {:.4}", e.ari)?;
            let r = &e.repeats;
            writeln!(
                out,
                "sentence repeats (within a page): precision {:.4} ({}/{}), recall {:.4} ({}/{})",
                r.precision, r.true_positives, r.found, r.recall, r.recalled, r.relevant
            )?;
            let q = &e.partial;
            writeln!(
                out,
                "partial copies (base-copy): recall with direction {:.4} ({}/{}; {} found at all); contained pairs precision {:.4} ({}/{})",
                q.recall_with_direction, q.direction_right, q.planted, q.found, q.contained_precision, q.contained_correct, q.contained_found
            )?;
            if let Some(k) = &e.keep {
                writeln!(
                    out,
                    "kept copy: the planted original in {} of {} clusters ({:.4}); a partial copy in {}, another copy in {} (the original was a member of {} of those)",
                    k.original, k.clusters, k.share, k.partial_copy, k.other_copy, k.original_passed_over
                )?;
            }
            writeln!(
                out,
                "{:<10} {:>8} {:>8} {:>12} {:>10} {:>10}",
                "level", "planted", "found", ">=threshold", "found", "mean J"
            )?;
            for (k, l) in &e.levels {
                writeln!(
                    out,
                    "{:<10} {:>8} {:>8} {:>12} {:>10} {:>10.4}",
                    k,
                    l.planted,
                    l.found,
                    l.above_threshold,
                    l.found_above_threshold,
                    l.mean_jaccard
                )?;
            }
            Ok(())
        })()
    };
    w.map_err(|e| syndup::Error::io("<stdout>", e))?;
    if let Some(path) = &args.svg {
        let config = Config {
            threshold: args.threshold,
            ngram: args.ngram,
            num_perm: args.num_perm,
            seed: args.seed,
            ..Config::default()
        };
        let (bands, rows) = Detector::new(config.clone())?.bands_rows();
        let measured = syndup::harness::eval::detection_curve(&args.truth, &args.corpus, &config)?;
        let svg = syndup::report::svg::s_curve(bands, rows, args.threshold, &measured);
        std::fs::write(path, svg).map_err(|e| syndup::Error::io(path, e))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn generate(args: &GenerateArgs) -> syndup::Result<ExitCode> {
    use syndup::harness::{self, EditLevel, GenerateOptions, Model};
    let sources: Vec<Source> = args.from.iter().map(Source::parse).collect();
    // A --from path that does not exist (the default `samples` outside the source tree)
    // would otherwise end in "seed text too small" with nothing said about the path.
    checks::inputs(&sources).map_err(|e| syndup::Error::input(format!("--from: {e}")))?;
    let (texts, problems) = syndup::input::read_texts(&sources, &Fields::default(), 64 << 20)?;
    for p in &problems {
        eprintln!("syndup: {}", syndup::report::text::clean(&p.to_string()));
    }
    let model = Model::from_texts(texts.iter().map(String::as_str))
        .map_err(|e| syndup::Error::input(format!("--from: {e}")))?;
    let levels = args
        .levels
        .iter()
        .map(|l| l.parse::<EditLevel>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| syndup::Error::config(format!("--levels: {e}")))?;
    let opts = GenerateOptions {
        seed: args.seed,
        documents: args.docs,
        copy_share: args.copy_share,
        mean_words: args.mean_words,
        levels,
        ..GenerateOptions::default()
    };
    std::fs::create_dir_all(&args.out_dir).map_err(|e| syndup::Error::io(&args.out_dir, e))?;
    let docs_path = args.out_dir.join("corpus.jsonl");
    let truth_path = args.out_dir.join("truth.jsonl");
    let mut docs =
        std::fs::File::create(&docs_path).map_err(|e| syndup::Error::io(&docs_path, e))?;
    let mut truth =
        std::fs::File::create(&truth_path).map_err(|e| syndup::Error::io(&truth_path, e))?;
    // Streamed: the documents are written as they are generated, never all held.
    let written = harness::generate_to(&model, &opts, &mut docs, &mut truth)
        .map_err(|e| syndup::Error::io(&args.out_dir, e))?;
    eprintln!(
        "syndup: wrote {} documents, {} planted pairs and {} repeats to {}",
        written.documents,
        written.pairs,
        written.repeats,
        args.out_dir.display()
    );
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
