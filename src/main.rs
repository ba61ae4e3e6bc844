//! The `beacon` binary: everything it does is in the library; see `cli`.

fn main() -> anyhow::Result<()> {
    beacon::cli::main()
}
