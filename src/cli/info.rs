//! `towerwatch info`: what a recording holds.

use super::input::*;
use crate::source::sigmf::{self, SigmfMeta};
use anyhow::Result;
use clap::Args;

#[derive(Args, Debug)]
pub(crate) struct InfoArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn info(a: InfoArgs) -> Result<u8> {
    use crate::term::escape as esc;
    let src = open_input(&a.input)?;
    let i = src.info();
    let meta = a
        .input
        .input
        .as_deref()
        .filter(|p| sigmf::is_sigmf(p))
        .map(SigmfMeta::load)
        .transpose()?;
    let duration_s = i.total_samples.map(|n| n as f64 / i.sample_rate_sps);
    if a.json {
        let doc = serde_json::json!({
            "source": i,
            "duration_s": duration_s,
            "sha512": meta.as_ref().and_then(|m| m.sha512.clone()),
            "annotations": meta.as_ref().map(|m| m.annotations.len()),
            "global": meta.as_ref().map(|m| &m.global),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(0);
    }
    println!("file:        {}", esc(&i.description));
    println!("format:      {}", esc(&i.format));
    println!("sample rate: {} S/s", i.sample_rate_sps);
    println!("centre:      {:.6} MHz", i.center_freq_hz / 1e6);
    if let (Some(n), Some(d)) = (i.total_samples, duration_s) {
        println!("length:      {n} samples ({d:.3} s)");
    }
    if let Some(t) = &i.start_time {
        println!("start:       {}", esc(t));
    }
    if let Some(h) = &i.hardware {
        println!("hardware:    {}", esc(h));
    }
    if i.segments.len() > 1 {
        println!("segments:    {}", i.segments.len());
        for s in &i.segments {
            println!(
                "  from sample {:>12}: {:.6} MHz",
                s.sample_start,
                s.frequency_hz / 1e6
            );
        }
    }
    if let Some(m) = &meta {
        if let Some(d) = &m.description {
            println!("description: {}", esc(d));
        }
        println!(
            "sha512:      {}",
            m.sha512
                .as_deref()
                .map_or("not recorded".to_string(), |h| format!(
                    "{}… (run `towerwatch verify` to check)",
                    esc(h.get(..16).unwrap_or(h))
                ))
        );
        println!("annotations: {}", m.annotations.len());
        for an in m.annotations.iter().take(20) {
            println!(
                "  @{:>10} {}{}",
                an.sample_start,
                esc(an.label.as_deref().unwrap_or("-")),
                an.comment
                    .as_deref()
                    .map(|c| format!(": {}", esc(c)))
                    .unwrap_or_default()
            );
        }
    }
    Ok(0)
}
