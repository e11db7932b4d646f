/// Counts the live heap for `run.max_memory` (see `sim::heap`).
#[global_allocator]
static HEAP: sim::heap::Counting = sim::heap::Counting;

fn main() {
    std::process::exit(sim::cli::main());
}
