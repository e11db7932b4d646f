//! Everything sim writes outside itself, and the promises it keeps there (README, "Where the
//! results go, and what sim will not touch"):
//!
//! - It never deletes or replaces what it did not write. An output folder is replaced only when
//!   it is absent, empty, or sim's own: it holds a `sim-manifest.json` that names every file in
//!   it (or is recognised as an earlier version's output). Anything else is refused before the
//!   run starts ([`OutputFolder::begin`]).
//! - An output folder is replaced whole, in one step: the new set is written into a fresh
//!   sibling folder, then the two are swapped. Killed at any instant, the folder holds the
//!   complete previous set or the complete new one, never a mix and nothing stale.
//! - A name found in a file (a scenario's `name`, a variant's) never becomes a path as written:
//!   [`folder_name`] maps it to one safe folder name, the same way in every command.
//! - A single-file output (`--junit FILE`) replaces a regular file in one step and writes into
//!   anything else (a FIFO, `/dev/stdout`) as it is, never replacing it ([`write_file`]).
//! - Files and folders are created under the process's umask (0644 and 0755 under 022).
//! - A failure to write standard output is reported; a closed pipe (`| head`) ends quietly
//!   ([`stdout`]).
//!
//! This module knows nothing of simulations: it is the floor the report and study layers write
//! through.

pub mod csv;
pub mod file;
pub mod folder;
pub mod stdout;

use std::path::{Path, PathBuf};

pub use file::{check_file_target, write_file};
pub use folder::{OutputFolder, MANIFEST_FILE};

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// sim will not write there (it would delete or replace what it did not write): the user
    /// must choose another place. The text is a whole message, with its help line.
    #[error("{0}")]
    Refused(String),
    /// Writing failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl OutputError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        OutputError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// True when sim refused the place (a usage error), false when writing failed.
    pub fn is_refusal(&self) -> bool {
        matches!(self, OutputError::Refused(_))
    }
}

/// Longest folder name [`folder_name`] makes, in bytes: well under every file system's limit
/// of 255, with room for the suffixes of the folders written beside it.
const MAX_FOLDER_NAME: usize = 100;

/// The folder name for a name found in a file: ASCII letters, digits, '-', '_' and '.' are
/// kept, anything else ('/', '\', a space, a letter outside ASCII) becomes '_'; a name that is
/// empty or starts with '.' gets a '_' in front (so neither `..` nor a hidden folder can be
/// made); at most 100 bytes are kept. Every command names folders through this one function,
/// so `name: ../../x` writes into `output/_.._.._x/`, inside `output/`.
pub fn folder_name(text: &str) -> String {
    let mut cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() || cleaned.starts_with('.') {
        cleaned.insert(0, '_');
    }
    cleaned.truncate(MAX_FOLDER_NAME);
    cleaned
}

#[cfg(test)]
mod tests {
    use super::folder_name;

    #[test]
    fn names_from_files_cannot_climb_out_or_hide() {
        assert_eq!(folder_name("01-single-server"), "01-single-server");
        assert_eq!(folder_name("v1.2_final"), "v1.2_final");
        assert_eq!(folder_name("../../x"), "_.._.._x");
        assert_eq!(folder_name(".."), "_..");
        assert_eq!(folder_name("."), "_.");
        assert_eq!(folder_name("/etc/passwd"), "_etc_passwd");
        assert_eq!(folder_name("C:\\temp\\x"), "C__temp_x");
        assert_eq!(folder_name(".hidden"), "_.hidden");
        assert_eq!(folder_name(""), "_");
        assert_eq!(folder_name("my design"), "my_design");
        assert_eq!(folder_name("café"), "caf_");
        assert_eq!(folder_name(&"x".repeat(300)).len(), 100);
    }
}
