//! `sidepod cp`: files between a service's container and the host, by `podman cp`.

use crate::cli::CpArgs;
use crate::error::Error;
use crate::exit;
use crate::session::Session;

pub async fn cp(s: &Session, args: &CpArgs) -> Result<i32, Error> {
    let side = |arg: &str| -> Option<(String, String)> {
        // `./a:b` and `/a:b` are host paths; `web:/etc` names a service.
        let (service, path) = arg.split_once(':')?;
        let service_like = !service.is_empty() && !service.contains('/') && service != ".";
        service_like.then(|| (service.to_string(), path.to_string()))
    };
    let (from, to) = (side(&args.source), side(&args.dest));
    let usage = |m: &str| Error::Usage(format!("cp {} {}: {m}", args.source, args.dest));
    if args.source == "-" || args.dest == "-" {
        return Err(usage(
            "copying from or to standard input or output (`-`) is not supported; name a file",
        ));
    }
    let (service, path) = match (&from, &to) {
        (Some(_), Some(_)) => return Err(usage("one side must be a host path")),
        (None, None) => return Err(usage("one side must be SERVICE:PATH")),
        (Some(side), None) | (None, Some(side)) => side.clone(),
    };
    let (backend, container) = super::found::replica(s, &service, args.index).await?;
    let inside = format!("{}:{path}", container.name);
    let (a, b) = if from.is_some() {
        (inside, args.dest.clone())
    } else {
        (args.source.clone(), inside)
    };
    backend.copy(&a, &b).await?;
    Ok(exit::SUCCESS)
}
