//! A kind's own figures appear in `summary.json` in alphabetical order (the order the untyped
//! map of figures always wrote them in), and a typed kind writes them in the order its struct
//! declares them: so every typed struct must declare its fields alphabetically, or the file
//! changes.

use sim::model::figures::Figures;

#[test]
fn typed_figures_are_declared_in_alphabetical_order() {
    for kind in Figures::KINDS {
        let names = Figures::names_of(kind).unwrap_or_else(|| panic!("{kind} is not typed"));
        for pair in names.windows(2) {
            assert!(
                pair[0] < pair[1],
                "{kind}: '{}' is declared before '{}'",
                pair[0],
                pair[1]
            );
        }
    }
}
