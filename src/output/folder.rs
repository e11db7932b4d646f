//! Output folders (`output/<scenario>/`, `--out DIR`): written whole into a fresh folder beside
//! the target, then swapped into place in one step.
//!
//! The life of an output folder:
//! 1. [`OutputFolder::begin`], before the run: the target must be absent, empty, or sim's own
//!    (a `sim-manifest.json` naming every file in it, or an earlier version's output), else the
//!    command is refused. A staging folder `.<name>.sim-new-<pid>-<n>` is made beside it and
//!    held (an advisory lock) while this process lives.
//! 2. The writers put the new set into [`OutputFolder::path`], the staging folder.
//! 3. [`OutputFolder::commit`]: every file is synced and listed with its size and SHA-256 in
//!    `sim-manifest.json`; under a lock on the parent folder (so two sim processes never swap
//!    at once), the target is checked again and the staging folder takes its place — on Linux
//!    and macOS by one atomic exchange of the two folders (`renameat2(RENAME_EXCHANGE)`), so a
//!    reader or a kill at any instant sees the whole previous set or the whole new one. The
//!    previous set, now in the staging folder, is deleted.
//!
//! A staging folder left by a killed process is recognised by its name and by nobody holding
//! its lock, and deleted by the next command that writes beside it. Two commands writing to
//! one folder each write their own set; the folder holds the set of the one that finished last.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::file::{put, sync_folder};
use super::OutputError;

/// The manifest every output folder holds: it marks the folder as sim's and lists its files.
pub const MANIFEST_FILE: &str = "sim-manifest.json";

/// Between the target's name and the process id in a staging folder's name.
const STAGING_MARK: &str = ".sim-new-";

/// Files that mark a folder written by a sim from before manifests (each holds a
/// `sim_version`).
const EARLIER_MARKERS: &[&str] = &[
    "summary.json",
    "comparison.json",
    "sweep.json",
    "capacity.json",
    "cheapest.json",
];

/// The kinds of file sim has ever written into an output folder.
const EARLIER_EXTENSIONS: &[&str] = &["json", "csv", "html", "svg"];

/// `sim-manifest.json`: who wrote the folder, and every file of the set.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    written_by: String,
    sim_version: String,
    command: String,
    files: BTreeMap<String, FileEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct FileEntry {
    bytes: u64,
    sha256: String,
}

/// What stands at the target's place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Found {
    Nothing,
    Empty,
    /// A folder sim wrote.
    Ours,
}

/// An output folder being written: see the module's documentation.
#[derive(Debug)]
pub struct OutputFolder {
    /// The target, its parent resolved (links followed).
    target: PathBuf,
    /// The target as the user gave it, for messages.
    shown: PathBuf,
    staging: PathBuf,
    /// Holds the staging folder's lock, so that no other process takes it for a leftover.
    _held: File,
    command: String,
    committed: bool,
}

impl OutputFolder {
    /// Checks that sim may replace `target` with the outputs of `command` (`run`, `compare`,
    /// ...) and prepares the folder the new set is written into. Refuses (exit 2) a target that
    /// is a file, the current folder or one that contains it, or a folder sim did not write.
    pub fn begin(target: &Path, command: &str) -> Result<Self, OutputError> {
        let (parent, name) = place(target)?;
        let resolved = parent.join(&name);
        let _lock = lock_folder(&parent);
        inspect(&resolved, target, command)?;
        remove_leftovers(&parent, &name);
        let (staging, held) = new_staging(&parent, &name)?;
        Ok(OutputFolder {
            target: resolved,
            shown: target.to_path_buf(),
            staging,
            _held: held,
            command: command.to_string(),
            committed: false,
        })
    }

    /// Where the writers put the new set.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Where the set is put on commit (its parent folder resolved).
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Copies the files of the set now in place whose relative path `keep` accepts into the new
    /// set (`sim report` keeps the data files and redraws the rest).
    pub fn carry_over(&self, keep: impl Fn(&str) -> bool) -> Result<(), OutputError> {
        if !self.target.is_dir() {
            return Ok(());
        }
        let mut files = Vec::new();
        walk(&self.target, &self.target, &mut files)
            .map_err(|e| OutputError::io(&self.target, e))?;
        for file in files.iter().filter(|f| *f != MANIFEST_FILE && keep(f)) {
            let from = self.target.join(file);
            let to = self.staging.join(file);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(|e| OutputError::io(parent, e))?;
            }
            std::fs::copy(&from, &to).map_err(|e| OutputError::io(&from, e))?;
        }
        Ok(())
    }

    /// Lists the new set in `sim-manifest.json` and puts it in place of the target in one step.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let manifest = self.manifest()?;
        let mut text = serde_json::to_string_pretty(&manifest)
            .map_err(|e| OutputError::io(&self.staging, std::io::Error::other(e)))?;
        text.push('\n');
        let manifest_path = self.staging.join(MANIFEST_FILE);
        put(&manifest_path, text.as_bytes()).map_err(|e| OutputError::io(&manifest_path, e))?;
        sync_file(&manifest_path).map_err(|e| OutputError::io(&manifest_path, e))?;
        sync_folder(&self.staging);

        let parent = self
            .target
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let _lock = lock_folder(&parent);
        // Checked again: the folder may have changed during the run.
        let found = inspect(&self.target, &self.shown, &self.command)?;
        let previous = match found {
            Found::Nothing => {
                rename_no_replace(&self.staging, &self.target)
                    .map_err(|e| OutputError::io(&self.target, e))?;
                None
            }
            Found::Empty | Found::Ours => Some(
                swap(&self.staging, &self.target).map_err(|e| OutputError::io(&self.target, e))?,
            ),
        };
        self.committed = true;
        sync_folder(&parent);
        // The previous set is out of sight now; deleting it is tidying. Should it fail, the
        // next command writing beside it deletes it.
        if let Some(old) = previous {
            let _ = match found {
                Found::Empty => std::fs::remove_dir(&old),
                _ => std::fs::remove_dir_all(&old),
            };
        }
        Ok(())
    }

    /// Syncs every file of the staging folder and lists it with its size and SHA-256.
    fn manifest(&self) -> Result<Manifest, OutputError> {
        let mut files = Vec::new();
        walk(&self.staging, &self.staging, &mut files)
            .map_err(|e| OutputError::io(&self.staging, e))?;
        let mut entries = BTreeMap::new();
        for name in files.iter().filter(|f| *f != MANIFEST_FILE) {
            let path = self.staging.join(name);
            let entry = hash_and_sync(&path).map_err(|e| OutputError::io(&path, e))?;
            entries.insert(name.clone(), entry);
        }
        sync_tree(&self.staging);
        Ok(Manifest {
            written_by: "sim".to_string(),
            sim_version: env!("CARGO_PKG_VERSION").to_string(),
            command: self.command.clone(),
            files: entries,
        })
    }
}

impl Drop for OutputFolder {
    /// A set that was not committed (an error, an early return) is deleted: it is this
    /// process's own staging folder.
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Resolves the target's parent (creating it) and checks the target can be an output folder:
/// returns the parent, resolved, and the target's name.
fn place(target: &Path) -> Result<(PathBuf, String), OutputError> {
    let refuse = |why: &str| {
        OutputError::Refused(format!(
            "error: --out {}: {why}\nhelp: give a folder of its own for the results, e.g. --out results",
            target.display()
        ))
    };
    let mut target = target.to_path_buf();
    if std::fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink()) {
        // A link to a folder: the folder it names is the target.
        target =
            std::fs::canonicalize(&target).map_err(|_| refuse("is a symbolic link to nothing"))?;
    }
    let Some(name) = target
        .file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
    else {
        return Err(refuse(
            "names no folder of its own (it ends in '..' or is a root)",
        ));
    };
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| OutputError::io(parent, e))?;
    let parent = std::fs::canonicalize(parent).map_err(|e| OutputError::io(parent, e))?;
    let resolved = parent.join(&name);
    if let Ok(here) = std::env::current_dir().and_then(std::fs::canonicalize) {
        if here.starts_with(&resolved) {
            return Err(refuse(
                "is the current folder, or contains it; sim replaces an output folder whole",
            ));
        }
    }
    Ok((parent, name))
}

/// What stands at `target`, and whether sim may replace it.
fn inspect(target: &Path, shown: &Path, command: &str) -> Result<Found, OutputError> {
    let meta = match std::fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(e) => return Err(OutputError::io(target, e)),
    };
    if !meta.is_dir() {
        return Err(OutputError::Refused(format!(
            "error: --out {} exists and is not a folder\nhelp: give a folder for the results (sim creates it), e.g. --out results",
            shown.display()
        )));
    }
    let mut files = Vec::new();
    walk(target, target, &mut files).map_err(|e| OutputError::io(target, e))?;
    let is_empty = std::fs::read_dir(target)
        .map_err(|e| OutputError::io(target, e))?
        .next()
        .is_none();
    if is_empty {
        return Ok(Found::Empty);
    }
    let manifest_path = target.join(MANIFEST_FILE);
    if manifest_path.is_file() {
        let manifest: Manifest = std::fs::read(&manifest_path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| {
                OutputError::Refused(format!(
                    "error: {} is not a manifest sim wrote, so sim will not replace {}\nhelp: choose another folder with --out",
                    manifest_path.display(),
                    shown.display()
                ))
            })?;
        let foreign: Vec<&String> = files
            .iter()
            .filter(|f| *f != MANIFEST_FILE && !manifest.files.contains_key(*f))
            .collect();
        if foreign.is_empty() {
            return Ok(Found::Ours);
        }
        let listed: Vec<String> = foreign.iter().take(3).map(|f| format!("'{f}'")).collect();
        let more = if foreign.len() > 3 {
            format!(" and {} more", foreign.len() - 3)
        } else {
            String::new()
        };
        return Err(OutputError::Refused(format!(
            "error: {} holds {}{more}, which sim did not write; sim replaces an output folder whole and will not delete {}\nhelp: move {} elsewhere, or choose another folder with --out",
            shown.display(),
            listed.join(", "),
            if foreign.len() == 1 { "it" } else { "them" },
            if foreign.len() == 1 { "it" } else { "them" },
        )));
    }
    if written_by_an_earlier_sim(target, &files, command) {
        return Ok(Found::Ours);
    }
    Err(OutputError::Refused(format!(
        "error: {} exists and was not written by sim (it has no {MANIFEST_FILE}); sim replaces an output folder whole, so it only writes into a new folder, an empty one, or one it wrote\nhelp: choose another folder with --out (sim creates it)",
        shown.display()
    )))
}

/// True for a folder that a sim from before manifests wrote: only the kinds of file sim writes
/// (JSON, CSV, HTML, SVG), and a top-level result file carrying a `sim_version`; for the
/// course, a folder of charts alone.
fn written_by_an_earlier_sim(dir: &Path, files: &[String], command: &str) -> bool {
    let extension = |f: &str| {
        Path::new(f)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_string()
    };
    if files.is_empty()
        || !files
            .iter()
            .all(|f| EARLIER_EXTENSIONS.contains(&extension(f).as_str()))
    {
        return false;
    }
    if command == "course" && files.iter().all(|f| extension(f) == "svg") {
        return true;
    }
    EARLIER_MARKERS.iter().any(|marker| {
        files.iter().any(|f| f == marker)
            && std::fs::read(dir.join(marker))
                .ok()
                .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
                .is_some_and(|v| v.get("sim_version").is_some())
    })
}

/// Every file under `dir` (links are listed as files, never followed), as paths relative to
/// `base` with '/' between folders.
fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(&path, base, out)?;
        } else {
            let relative = path
                .strip_prefix(base)
                .map_err(std::io::Error::other)?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push(relative);
        }
    }
    Ok(())
}

/// Reads a file to hash it, then syncs it to disk.
fn hash_and_sync(path: &Path) -> std::io::Result<FileEntry> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        bytes += n as u64;
    }
    file.sync_all()?;
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(FileEntry { bytes, sha256 })
}

fn sync_file(path: &Path) -> std::io::Result<()> {
    File::open(path)?.sync_all()
}

/// Syncs a folder and the folders under it.
fn sync_tree(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                sync_tree(&entry.path());
            }
        }
    }
    sync_folder(dir);
}

/// Takes the advisory lock of a folder, waiting for it: sim processes writing beside each
/// other inspect, swap and tidy one at a time. `None` where the file system has no locks.
fn lock_folder(dir: &Path) -> Option<File> {
    let file = File::open(dir).ok()?;
    file.lock().ok()?;
    Some(file)
}

/// Makes a fresh staging folder beside the target and takes its lock.
fn new_staging(parent: &Path, name: &str) -> Result<(PathBuf, File), OutputError> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = parent.join(format!(".{name}{STAGING_MARK}{}-{n}", std::process::id()));
        match std::fs::create_dir(&path) {
            Ok(()) => {
                let held = File::open(&path).map_err(|e| OutputError::io(&path, e))?;
                // Nobody else knows this folder yet, so the lock is free; where the file system
                // has no locks, leftovers are simply never tidied.
                let _ = held.try_lock();
                return Ok((path, held));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(OutputError::io(&path, e)),
        }
    }
}

/// Deletes the staging folders of `name` whose process is gone (nobody holds their lock): a
/// killed run's partial set, or a previous set a killed run had swapped out.
fn remove_leftovers(parent: &Path, name: &str) {
    let prefix = format!(".{name}{STAGING_MARK}");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let is_ours = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(&prefix))
            && entry.file_type().is_ok_and(|t| t.is_dir());
        if !is_ours {
            continue;
        }
        let path = entry.path();
        let Ok(held) = File::open(&path) else {
            continue;
        };
        if held.try_lock().is_ok() {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// Puts `from` at `to`, which must not exist.
fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            Err(e) if !unsupported(e) => return Err(e.into()),
            Err(_) => {}
        }
    }
    // Checked under the parent's lock that `to` does not exist.
    std::fs::rename(from, to)
}

/// Swaps the folders `staging` and `target`; returns where the previous set now is.
fn swap(staging: &Path, target: &Path) -> std::io::Result<PathBuf> {
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, staging, CWD, target, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(staging.to_path_buf()),
            Err(e) if !unsupported(e) => return Err(e.into()),
            Err(_) => {}
        }
    }
    // Without an atomic exchange (some network file systems): two renames, between which the
    // target is briefly absent; the previous set waits beside it, in a leftover's name.
    let mut old = staging.as_os_str().to_owned();
    old.push("-old");
    let old = PathBuf::from(old);
    std::fs::rename(target, &old)?;
    if let Err(e) = std::fs::rename(staging, target) {
        let _ = std::fs::rename(&old, target);
        return Err(e);
    }
    Ok(old)
}

/// True for the errors of a file system or kernel that cannot rename with flags.
#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
fn unsupported(e: rustix::io::Errno) -> bool {
    use rustix::io::Errno;
    e == Errno::INVAL || e == Errno::NOSYS || e == Errno::OPNOTSUPP
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files_of(dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        walk(dir, dir, &mut out).expect("walk");
        out
    }

    fn write_set(folder: &OutputFolder, files: &[(&str, &str)]) {
        for (name, text) in files {
            put(&folder.path().join(name), text.as_bytes()).expect("put");
        }
    }

    #[test]
    fn a_new_folder_gets_the_set_and_its_manifest() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("out");
        let folder = OutputFolder::begin(&target, "run").expect("begin");
        write_set(
            &folder,
            &[("summary.json", "{}"), ("charts/a.svg", "<svg/>")],
        );
        folder.commit().expect("commit");
        assert_eq!(
            files_of(&target),
            ["charts/a.svg", MANIFEST_FILE, "summary.json"]
        );
        let manifest: Manifest =
            serde_json::from_slice(&std::fs::read(target.join(MANIFEST_FILE)).expect("read"))
                .expect("manifest");
        assert_eq!(manifest.files.len(), 2);
        assert_eq!(manifest.files["summary.json"].bytes, 2);
        // Nothing is left beside it.
        assert_eq!(files_of(dir.path()).len(), 3);
    }

    #[test]
    fn a_second_set_replaces_the_first_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("out");
        let first = OutputFolder::begin(&target, "run").expect("begin");
        write_set(&first, &[("summary.json", "1"), ("trace.json", "1")]);
        first.commit().expect("commit");
        let second = OutputFolder::begin(&target, "run").expect("begin");
        write_set(&second, &[("summary.json", "2")]);
        second.commit().expect("commit");
        assert_eq!(files_of(&target), [MANIFEST_FILE, "summary.json"]);
        assert_eq!(
            std::fs::read_to_string(target.join("summary.json")).expect("read"),
            "2"
        );
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);
    }

    #[test]
    fn a_folder_sim_did_not_write_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("notes");
        std::fs::create_dir(&target).expect("mkdir");
        std::fs::write(target.join("todo.txt"), "mine").expect("write");
        let refused = OutputFolder::begin(&target, "run").expect_err("refused");
        assert!(refused.is_refusal(), "{refused}");
        assert!(
            refused.to_string().contains("was not written by sim"),
            "{refused}"
        );
        assert_eq!(files_of(&target), ["todo.txt"]);
    }

    #[test]
    fn a_foreign_file_inside_sims_folder_is_named_and_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("out");
        let first = OutputFolder::begin(&target, "run").expect("begin");
        write_set(&first, &[("summary.json", "1")]);
        first.commit().expect("commit");
        std::fs::write(target.join("notes.txt"), "mine").expect("write");
        let refused = OutputFolder::begin(&target, "run").expect_err("refused");
        assert!(refused.to_string().contains("'notes.txt'"), "{refused}");
        assert!(target.join("notes.txt").is_file());
    }

    #[test]
    fn a_folder_appearing_during_the_run_is_not_replaced() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("out");
        let folder = OutputFolder::begin(&target, "run").expect("begin");
        write_set(&folder, &[("summary.json", "1")]);
        std::fs::create_dir(&target).expect("mkdir");
        std::fs::write(target.join("mine.txt"), "mine").expect("write");
        let staging = folder.path().to_path_buf();
        assert!(folder.commit().expect_err("refused").is_refusal());
        assert_eq!(files_of(&target), ["mine.txt"]);
        assert!(!staging.exists(), "the staging folder is tidied");
    }

    #[test]
    fn an_earlier_sims_output_is_recognised() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("out");
        std::fs::create_dir_all(target.join("charts")).expect("mkdir");
        std::fs::write(target.join("summary.json"), r#"{"sim_version": "0.1.0"}"#).expect("w");
        std::fs::write(target.join("charts/latency.svg"), "<svg/>").expect("w");
        OutputFolder::begin(&target, "run").expect("an earlier output");
        // The same files without sim's mark are someone else's.
        std::fs::write(target.join("summary.json"), "{}").expect("w");
        assert!(OutputFolder::begin(&target, "run").is_err());
        // A folder of charts alone is an earlier course's, and only the course's.
        std::fs::remove_file(target.join("summary.json")).expect("rm");
        OutputFolder::begin(&target, "course").expect("an earlier course");
        assert!(OutputFolder::begin(&target, "run").is_err());
    }

    #[test]
    fn an_empty_folder_and_a_file_and_the_current_folder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).expect("mkdir");
        let folder = OutputFolder::begin(&empty, "run").expect("an empty folder");
        write_set(&folder, &[("summary.json", "1")]);
        folder.commit().expect("commit");
        assert_eq!(files_of(&empty), [MANIFEST_FILE, "summary.json"]);

        let file = dir.path().join("file");
        std::fs::write(&file, "x").expect("write");
        let refused = OutputFolder::begin(&file, "run").expect_err("a file");
        assert!(refused.to_string().contains("is not a folder"), "{refused}");

        let refused = OutputFolder::begin(Path::new(".."), "run").expect_err("'..'");
        assert!(refused.to_string().contains("names no folder"), "{refused}");
    }

    #[test]
    fn a_killed_runs_staging_folder_is_tidied_but_a_live_ones_is_not() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("out");
        let dead = dir.path().join(format!(".out{STAGING_MARK}1-1"));
        std::fs::create_dir(&dead).expect("mkdir");
        std::fs::write(dead.join("summary.json"), "partial").expect("write");
        let live = OutputFolder::begin(&target, "run").expect("begin");
        assert!(!dead.exists(), "a dead process's staging folder is removed");
        let other = OutputFolder::begin(&target, "run").expect("begin");
        assert!(
            live.path().exists(),
            "a live process's staging folder stays"
        );
        drop(other);
        drop(live);
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 0);
    }
}
