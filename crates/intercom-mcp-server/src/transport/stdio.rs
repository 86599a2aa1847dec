//! stdio with an answer for every line: rmcp silently drops a line that is not
//! JSON, so a filter sits between stdin and rmcp. Lines that parse go on to
//! rmcp; the others get a JSON-RPC parse error (-32700, id null) straight away.
//! One task owns stdout and writes whole lines only, from rmcp's output and
//! from the filter alike, so the two can never interleave within a line.

use rmcp::ServiceExt;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use crate::server::McpHandler;

/// Room in the in-process pipes; a longer line just waits for the reader.
const PIPE_BYTES: usize = 256 * 1024;

/// Serve one client over `input`/`output` until the input ends.
pub async fn serve<H: McpHandler>(
    server: H,
    input: impl AsyncRead + Unpin + Send + 'static,
    output: impl AsyncWrite + Unpin + Send + 'static,
) -> anyhow::Result<()> {
    let (rmcp_in, mut to_rmcp) = tokio::io::duplex(PIPE_BYTES);
    let (rmcp_out, from_rmcp) = tokio::io::duplex(PIPE_BYTES);
    let (errors_tx, errors_rx) = mpsc::unbounded_channel::<String>();

    let filter = tokio::spawn(async move {
        let mut input = BufReader::new(input);
        let mut line = Vec::new();
        loop {
            line.clear();
            match input.read_until(b'\n', &mut line).await {
                Ok(0) => break,
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "could not read stdin; stopping");
                    break;
                }
            }
            let message = line.trim_ascii();
            if message.is_empty() {
                continue;
            }
            // JSON with serde_json's own limits (nesting depth), as rmcp reads it;
            // rmcp judges the JSON-RPC shape itself.
            if let Err(err) = serde_json::from_slice::<serde_json::Value>(message) {
                let answer = json!({
                    "jsonrpc": "2.0",
                    "id": null,
                    "error": {"code": -32700, "message": format!("Parse error: {err}; send one JSON-RPC message per line")},
                });
                if errors_tx.send(answer.to_string()).is_err() {
                    break;
                }
                continue;
            }
            if to_rmcp.write_all(message).await.is_err() || to_rmcp.write_all(b"\n").await.is_err()
            {
                break; // rmcp has stopped reading
            }
        }
        // Dropping the pipe tells rmcp the input has ended.
    });

    let writer = tokio::spawn(write_lines(from_rmcp, errors_rx, output));

    let result = async {
        let running = server.serve((rmcp_in, rmcp_out)).await?;
        running.waiting().await?;
        anyhow::Ok(())
    }
    .await;
    // rmcp is done: stop reading input (which may never end), then let the
    // writer drain what is left and flush.
    filter.abort();
    let _ = filter.await;
    match writer.await {
        Ok(Err(err)) => tracing::debug!(error = %err, "stdout closed"),
        Err(err) => tracing::warn!(error = %err, "the stdout writer failed"),
        Ok(Ok(())) => {}
    }
    result
}

/// Copies whole lines from rmcp and from the filter's answers to `output`
/// until both have ended.
async fn write_lines(
    from_rmcp: impl AsyncRead + Unpin,
    mut errors: mpsc::UnboundedReceiver<String>,
    mut output: impl AsyncWrite + Unpin,
) -> std::io::Result<()> {
    let mut from_rmcp = BufReader::new(from_rmcp);
    let mut line = Vec::new();
    let (mut rmcp_open, mut errors_open) = (true, true);
    while rmcp_open || errors_open {
        tokio::select! {
            read = from_rmcp.read_until(b'\n', &mut line), if rmcp_open => {
                if read? == 0 {
                    rmcp_open = false;
                }
                if !line.is_empty() {
                    output.write_all(&line).await?;
                    if !line.ends_with(b"\n") {
                        output.write_all(b"\n").await?;
                    }
                    output.flush().await?;
                    line.clear();
                }
            }
            answer = errors.recv(), if errors_open => match answer {
                Some(answer) => {
                    output.write_all(answer.as_bytes()).await?;
                    output.write_all(b"\n").await?;
                    output.flush().await?;
                }
                None => errors_open = false,
            },
        }
    }
    output.flush().await
}
