//! Replacing one `## …` section of `docs/benchmarks.md`, keeping the rest of the file (shared by
//! the scam checker's evaluation and benchmark programs).

use std::path::Path;

/// Replaces the section that starts with `heading` (up to the next `## ` heading) with `section`,
/// or appends it if there is none. `section` starts with the heading itself.
pub fn write_section(path: &Path, heading: &str, section: &str) -> std::io::Result<()> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => "# Benchmarks\n".to_owned(),
        Err(err) => return Err(err),
    };
    let section = format!("{}\n", wrap_prose(section.trim_end()));
    let updated = match find_heading(&existing, heading) {
        Some(start) => {
            let after = start + heading.len();
            let end = existing[after..]
                .find("\n## ")
                .map_or(existing.len(), |i| after + i + 1);
            let separator = if end < existing.len() { "\n" } else { "" };
            format!(
                "{}{section}{separator}{}",
                &existing[..start],
                &existing[end..]
            )
        }
        None => format!("{}\n\n{section}", existing.trim_end()),
    };
    // Write beside and rename, so that a reader never sees half a file.
    let temporary = path.with_extension("md.scam-checker.tmp");
    std::fs::write(&temporary, updated)?;
    std::fs::rename(&temporary, path)
}

/// Where a line that is exactly `heading` starts.
fn find_heading(text: &str, heading: &str) -> Option<usize> {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == heading {
            return Some(at);
        }
        at += line.len();
    }
    None
}

/// Wraps prose paragraphs and list items at 100 columns, as the rest of `docs/benchmarks.md` is;
/// headings, tables and code are left as they are.
pub fn wrap_prose(text: &str) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        let keep = line.starts_with('#') || line.starts_with('|') || line.starts_with("```");
        if keep || line.chars().count() <= 100 {
            out.push(line.to_owned());
            continue;
        }
        let indent = if line.starts_with("- ") { "  " } else { "" };
        let mut current = String::new();
        for word in line.split(' ') {
            let width = current.chars().count();
            if width > 0 && width + 1 + word.chars().count() > 100 {
                out.push(std::mem::take(&mut current));
                current.push_str(indent);
            } else if width > 0 && current != indent {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push(current);
    }
    out.join("\n")
}
