//! Times `LocalEmbedder::embed` on a file of texts (one per line), as `recur embed --timing`
//! does, several runs in one process.
//!
//! ```sh
//! CANDLE_NUM_THREADS=1 RAYON_NUM_THREADS=1 cargo run -p recur-llm --example embed_timing -- models/all-MiniLM-L6-v2 reviews2000.txt 3
//! ```

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (dir, file) = (&args[1], &args[2]);
    let runs: usize = args.get(3).map_or(Ok(3), |s| s.parse())?;
    let body = std::fs::read_to_string(file)?;
    let texts: Vec<&str> = body.lines().filter(|l| !l.trim().is_empty()).collect();
    let m = recur_llm::LocalEmbedder::load(dir.as_ref())?;
    for _ in 0..runs {
        let t = Instant::now();
        let v = m.embed(&texts)?;
        let s = t.elapsed().as_secs_f64();
        println!(
            "{} texts in {s:.2} s: {:.1} texts/s (dim {})",
            texts.len(),
            texts.len() as f64 / s,
            v[0].len()
        );
    }
    Ok(())
}
