use std::process::ExitCode;

fn main() -> ExitCode {
    // The shell asking for completions (COMPLETE=bash ...): answered, and exited.
    sidepod::commands::complete::answer_if_asked();
    let cli = sidepod::argv::parse();
    // The HTTP wait strategy's child: synchronous, on this one thread.
    if let sidepod::cli::Command::ProbeHttp(a) = &cli.command {
        let code = sidepod::probe::run(&sidepod::probe::HttpProbe {
            pid: a.pid,
            port: a.port,
            host: a.host.clone(),
            path: a.path.clone(),
            https: a.https,
        });
        return ExitCode::from(code as u8);
    }
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
