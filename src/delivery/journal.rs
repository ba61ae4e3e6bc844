//! The send journal: a small append-only file per worker process recording, just before the
//! final `.` of each alert email is written to the SMTP server, that the message is about to be
//! handed over. A worker killed before the database has caught up leaves its journal behind;
//! whichever worker next finds it (its lock released by the dead process) marks those
//! deliveries sent, so they are not sent twice.
//!
//! Only the stretch between two consecutive system calls (the journal line, then the dot) is
//! left uncovered. A write to a file survives the death of the process that made it (the
//! kernel holds it), so no fsync is needed against SIGKILL; against the whole machine losing
//! power it is not enough, and a few messages may then be sent again.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// This process's journal, locked for as long as the process lives.
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
}

impl Journal {
    /// Creates a fresh journal in `dir` and locks it.
    pub fn create(dir: &Path) -> std::io::Result<Journal> {
        std::fs::create_dir_all(dir)?;
        let name = format!("{}-{}.log", std::process::id(), crate::random::random_id());
        // Locked under a name recovery ignores, then renamed: another worker never sees an
        // unlocked journal of a live process and takes it for a dead one's.
        let path = dir.join(&name);
        let opening = dir.join(format!("{name}.new"));
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&opening)?;
        file.lock()?;
        std::fs::rename(&opening, &path)?;
        Ok(Journal {
            path,
            file: Mutex::new(file),
        })
    }

    /// Records that delivery `id` is about to be handed over: one `write` of a whole line.
    pub fn handing_over(&self, id: i64) -> std::io::Result<()> {
        self.write(format!("{id}\n").as_bytes())
    }

    /// Records that the server refused the message after all, so it was not handed over.
    pub fn refused(&self, id: i64) -> std::io::Result<()> {
        self.write(format!("-{id}\n").as_bytes())
    }

    fn write(&self, line: &[u8]) -> std::io::Result<()> {
        let mut file = self
            .file
            .lock()
            .map_err(|_| std::io::Error::other("journal lock poisoned"))?;
        file.write_all(line)
    }

    /// Removes the journal once everything in it is recorded in the database.
    pub fn remove(self) {
        let _ = std::fs::remove_file(&self.path);
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A journal left by a process that has died, locked by us while we recover it.
pub struct Orphan {
    path: PathBuf,
    _file: File,
    /// Deliveries handed over and not refused.
    pub handed_over: Vec<i64>,
}

impl Orphan {
    /// Deletes the journal once its deliveries are recorded.
    pub fn remove(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The journals in `dir` whose writers have died (their lock is free), except `own`.
pub fn orphans(dir: &Path, own: Option<&Path>) -> std::io::Result<Vec<Orphan>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut found = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "log") || Some(path.as_path()) == own {
            continue;
        }
        let Ok(file) = OpenOptions::new().read(true).open(&path) else {
            continue;
        };
        // Held: its writer is alive (or another worker is recovering it right now).
        if file.try_lock().is_err() {
            continue;
        }
        // Replayed in order: a refusal cancels the hand-over before it, not a later one (the
        // same delivery retried by the same process).
        let mut handed_over = BTreeSet::new();
        for line in BufReader::new(&file).lines() {
            let Ok(line) = line else { break };
            // A line cut short by the kill has no newline and may not parse: skip it.
            if let Some(id) = line.strip_prefix('-').and_then(|n| n.parse::<i64>().ok()) {
                handed_over.remove(&id);
            } else if let Ok(id) = line.parse::<i64>() {
                handed_over.insert(id);
            }
        }
        let handed_over: Vec<i64> = handed_over.into_iter().collect();
        found.push(Orphan {
            path,
            _file: file,
            handed_over,
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_journal_is_left_alone_and_a_dead_ones_deliveries_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let live = Journal::create(dir.path()).unwrap();
        live.handing_over(7).unwrap();
        assert!(orphans(dir.path(), None).unwrap().is_empty());

        let dead = Journal::create(dir.path()).unwrap();
        for id in [1, 2, 3] {
            dead.handing_over(id).unwrap();
        }
        dead.refused(2).unwrap();
        // Refused, then retried and handed over again: it counts.
        dead.handing_over(4).unwrap();
        dead.refused(4).unwrap();
        dead.handing_over(4).unwrap();
        let dead_path = dead.path().to_owned();
        // Dropping the handle releases the lock, as the death of the process does.
        drop(dead);
        let found = orphans(dir.path(), Some(live.path())).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].handed_over, vec![1, 3, 4]);
        // While we hold it, nobody else recovers it too.
        assert!(orphans(dir.path(), Some(live.path())).unwrap().is_empty());
        found.into_iter().for_each(Orphan::remove);
        assert!(!dead_path.exists());
    }
}
