//! Single-file outputs (`--junit FILE`, `sim course --out FILE.md`, a shard file): a regular
//! file is replaced in one step; anything else the user names (a FIFO, `/dev/stdout`, a
//! symbolic link) is written into as it is, never replaced.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use super::OutputError;

/// Checks, before a long run, that `path` can take a single-file output: it must not be a
/// folder, nor a link to nothing.
pub fn check_file_target(path: &Path) -> Result<(), OutputError> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(OutputError::io(path, e)),
        Ok(meta) if meta.is_dir() => Err(OutputError::Refused(format!(
            "error: {} is a folder; sim writes a file there\nhelp: give a file name, e.g. {}",
            path.display(),
            path.join("results.xml").display()
        ))),
        Ok(meta) if meta.file_type().is_symlink() && std::fs::metadata(path).is_err() => {
            Err(OutputError::Refused(format!(
                "error: {} is a symbolic link to nothing; sim writes into what a link names, and will not create it\nhelp: give the file itself",
                path.display()
            )))
        }
        Ok(_) => Ok(()),
    }
}

/// Writes `bytes` as the whole content of the file `path`.
///
/// - Nothing there, or a regular file: the bytes go to a temporary file beside it (created
///   under the umask, synced), which is then renamed over `path`: a reader sees the old file or
///   the new one, never half of one. Missing parent folders are created.
/// - Anything else (a FIFO, a character device such as `/dev/stdout`, a symbolic link): opened
///   and written as it is, so a pipe gets the bytes and a link keeps pointing where it did.
/// - A folder, or a link to nothing: refused ([`check_file_target`]).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    check_file_target(path)?;
    let replace = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta.is_file(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => return Err(OutputError::io(path, e)),
    };
    if replace {
        replace_file(path, bytes).map_err(|e| OutputError::io(path, e))
    } else {
        let mut file = OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(path)
            .map_err(|e| OutputError::io(path, e))?;
        file.write_all(bytes)
            .and_then(|()| file.flush())
            .map_err(|e| OutputError::io(path, e))
    }
}

/// Replaces the regular file `path` (or creates it) through a synced temporary file and a
/// rename.
fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".sim-new-");
    // tempfile creates files readable by their owner alone; an output is for whoever reads
    // the folder (a web server, a CI artifact collector), so it gets the mode a plain create
    // would give: 0666 less the umask.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut file = builder.tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    sync_folder(dir);
    Ok(())
}

/// Creates the file `path` inside a folder sim is preparing (see
/// [`OutputFolder`](super::OutputFolder)), with its parent folders. Nothing is synced here: the
/// folder is synced as a whole before it is put in place. Errors name the file.
pub fn put(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let named =
        |e: std::io::Error| std::io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(named)?;
    }
    let mut file = File::create(path).map_err(named)?;
    file.write_all(bytes).map_err(named)
}

/// Asks the file system to make a folder's entries (a rename into it) durable. Best effort:
/// some file systems cannot sync a folder, and the rename itself has already happened.
pub(crate) fn sync_folder(dir: &Path) {
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}
