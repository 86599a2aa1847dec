//! stdio with an answer for every line: rmcp silently drops a line that is not
//! JSON, so a filter sits between stdin and rmcp. Lines that parse go on to
//! rmcp; the others get a JSON-RPC parse error (-32700, id null) straight away.
//! One task owns stdout and writes whole lines only, from rmcp's output and
//! from the filter alike, so the two can never interleave within a line.

use rmcp::ServiceExt;
use serde_json::json;
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};
use tokio::sync::mpsc;

use crate::server::McpHandler;

/// Room in the in-process pipes; a longer line just waits for the reader.
const PIPE_BYTES: usize = 256 * 1024;
/// The longest line (one JSON-RPC message) read from the client: the same bound as
/// an HTTP request body. A longer one is answered with an error and skipped.
pub const MAX_LINE_BYTES: usize = super::http::DEFAULT_MAX_REQUEST_BYTES;
/// Error answers waiting for stdout; beyond, the reader waits for the writer.
const ERROR_QUEUE: usize = 64;

/// Serve one client over `input`/`output` until the input ends.
pub async fn serve<H: McpHandler>(
    server: H,
    input: impl AsyncRead + Unpin + Send + 'static,
    output: impl AsyncWrite + Unpin + Send + 'static,
) -> anyhow::Result<()> {
    let (rmcp_in, mut to_rmcp) = tokio::io::duplex(PIPE_BYTES);
    let (rmcp_out, from_rmcp) = tokio::io::duplex(PIPE_BYTES);
    let (errors_tx, errors_rx) = mpsc::channel::<String>(ERROR_QUEUE);

    let filter = tokio::spawn(async move {
        let mut input = BufReader::new(input);
        let mut line = Vec::new();
        loop {
            line.clear();
            let mut bounded = (&mut input).take(MAX_LINE_BYTES as u64 + 1);
            match bounded.read_until(b'\n', &mut line).await {
                Ok(0) => break,
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "could not read stdin; stopping");
                    break;
                }
            }
            if line.len() > MAX_LINE_BYTES && !line.ends_with(b"\n") {
                let answer = json!({
                    "jsonrpc": "2.0",
                    "id": null,
                    "error": {"code": -32600, "message": format!(
                        "Invalid Request: a line of more than {MAX_LINE_BYTES} bytes was skipped; \
                         send one JSON-RPC message per line, each at most {MAX_LINE_BYTES} bytes"
                    )},
                });
                if errors_tx.send(answer.to_string()).await.is_err()
                    || skip_line(&mut input).await.is_err()
                {
                    break;
                }
                continue;
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
                if errors_tx.send(answer.to_string()).await.is_err() {
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

/// Reads and drops the rest of the current line, holding at most one buffer of it.
async fn skip_line(input: &mut (impl AsyncBufRead + Unpin)) -> std::io::Result<()> {
    loop {
        let buffer = input.fill_buf().await?;
        if buffer.is_empty() {
            return Ok(());
        }
        match buffer.iter().position(|&b| b == b'\n') {
            Some(end) => {
                input.consume(end + 1);
                return Ok(());
            }
            None => {
                let all = buffer.len();
                input.consume(all);
            }
        }
    }
}

/// Copies whole lines from rmcp and from the filter's answers to `output`
/// until both have ended.
async fn write_lines(
    from_rmcp: impl AsyncRead + Unpin,
    mut errors: mpsc::Receiver<String>,
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::server::{IntercomServer, ServerOptions};
    use crate::workspace_context::{ApiSettings, Workspaces};

    #[tokio::test]
    async fn an_overlong_line_is_answered_and_skipped() {
        let server = IntercomServer::new(ServerOptions {
            selection: Default::default(),
            workspaces: Arc::new(Workspaces::new(ApiSettings::default(), None)),
            token_from_request: false,
        })
        .unwrap();
        let (mut client_in, server_in) = tokio::io::duplex(1 << 16);
        let (server_out, client_out) = tokio::io::duplex(1 << 16);
        let serving = tokio::spawn(serve(server, server_in, server_out));
        let writing = tokio::spawn(async move {
            client_in
                .write_all(&vec![b'x'; MAX_LINE_BYTES + 10])
                .await?;
            client_in.write_all(b"\nnot json\n").await?;
            std::io::Result::Ok(client_in)
        });
        let mut answers = BufReader::new(client_out).lines();
        let mut next = async || {
            let line = tokio::time::timeout(Duration::from_secs(20), answers.next_line())
                .await
                .expect("an answer within 20 s")
                .unwrap()
                .expect("a line");
            serde_json::from_str::<serde_json::Value>(&line).unwrap()
        };
        let too_long = next().await;
        assert_eq!(too_long["error"]["code"], -32600, "{too_long}");
        let message = too_long["error"]["message"].as_str().unwrap();
        assert!(message.contains(&MAX_LINE_BYTES.to_string()), "{message}");
        // The rest of the long line was skipped: the next line is read as a line of its own.
        let not_json = next().await;
        assert_eq!(not_json["error"]["code"], -32700, "{not_json}");
        drop(writing.await.unwrap().unwrap());
        serving.abort();
    }
}
