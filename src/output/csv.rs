//! CSV tables (`timeseries.csv`, `comparison.csv`, `sweep.csv`, `capacity.csv`), written with
//! the `csv` crate: fields are quoted only where they must be (a comma, a quote, a line break),
//! lines end in `\n`.

/// A CSV table being written: the header, then one row at a time.
pub struct Table {
    writer: csv::Writer<Vec<u8>>,
}

impl Table {
    pub fn new<I, T>(header: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        let mut table = Table {
            // Flexible: the writer does not check that rows are as long as the header (the
            // callers build them from the same columns), so writing into memory cannot fail.
            writer: csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .flexible(true)
                .from_writer(Vec::new()),
        };
        table.row(header);
        table
    }

    /// Adds a row.
    pub fn row<I, T>(&mut self, cells: I)
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        // Into memory, with flexible rows: nothing can fail.
        let _ = self.writer.write_record(cells);
    }

    /// The table's text.
    pub fn finish(self) -> String {
        let bytes = self.writer.into_inner().unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn fields_are_quoted_only_where_they_must_be() {
        let mut t = Table::new(["a", "b"]);
        t.row(["1", "x,y"]);
        t.row(["say \"hi\"", ""]);
        assert_eq!(t.finish(), "a,b\n1,\"x,y\"\n\"say \"\"hi\"\"\",\n");
    }
}
