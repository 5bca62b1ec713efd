//! Builds the browser app (`web-designer/`, with npm) and embeds what it built: every file
//! of `web-designer/dist` becomes bytes in the binary, served at `/`. Nothing is fetched
//! at run time, and `cargo run` on a fresh clone builds the app it serves. The demo bundle
//! (`examples/bank-crm`) is embedded too, so `trellis serve --demo` runs anywhere.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let web = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web-designer");
    for input in
        ["src", "index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json", "openapi"]
    {
        println!("cargo:rerun-if-changed={}", web.join(input).display());
    }
    if !web.join("node_modules").is_dir() {
        npm(&web, &["ci", "--no-audit", "--no-fund"]);
    }
    npm(&web, &["run", "build"]);
    let dist = web.join("dist");
    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    files.sort();
    let entries: String = files
        .iter()
        .map(|(name, path)| format!("    ({name:?}, include_bytes!({:?})),\n", path.display().to_string()))
        .collect();
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("web_assets.rs");
    let code = format!(
        "/// The browser app's files, by path under `dist/`.\npub static ASSETS: &[(&str, &[u8])] = &[\n{entries}];\n"
    );
    std::fs::write(out, code).expect("web_assets.rs written");
    embed_demo();
}

/// Every JSON file of the demo bundle, by its path in the folder.
fn embed_demo() {
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/bank-crm");
    println!("cargo:rerun-if-changed={}", demo.display());
    let mut files = Vec::new();
    collect(&demo, &demo, &mut files);
    files.retain(|(name, _)| name.ends_with(".json"));
    files.sort();
    let entries: String = files
        .iter()
        .map(|(name, path)| format!("    ({name:?}, include_str!({:?})),\n", path.display().to_string()))
        .collect();
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("demo_bundle.rs");
    let code = format!(
        "/// The demo bundle's files, by path in its folder.\npub static DEMO: &[(&str, &str)] = &[\n{entries}];\n"
    );
    std::fs::write(out, code).expect("demo_bundle.rs written");
}

fn npm(dir: &Path, args: &[&str]) {
    let status = Command::new("npm").args(args).current_dir(dir).status().unwrap_or_else(|e| {
        panic!("building the browser app needs Node.js 20 and npm (`npm {}` in {}): {e}", args.join(" "), dir.display())
    });
    assert!(status.success(), "`npm {}` in {} failed", args.join(" "), dir.display());
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out);
        } else if let Ok(name) = path.strip_prefix(root) {
            out.push((name.to_string_lossy().replace('\\', "/"), path.canonicalize().unwrap_or(path.clone())));
        }
    }
}
