use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = sidepod::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(sidepod::exit::RUNTIME as u8);
        }
    };
    let code = runtime.block_on(sidepod::run(cli));
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
