//! The `syndup` binary; everything it does goes through the library's public API.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
