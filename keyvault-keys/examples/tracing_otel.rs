//! The SDK's spans exported with OpenTelemetry: `tracing-opentelemetry`
//! turns them into OpenTelemetry spans, `opentelemetry-stdout` prints them.
//! Each `KeyClient` method is a span (`KeyClient.get_key`, kind internal),
//! each HTTP exchange its child (`GET`, kind client) with the OpenTelemetry
//! HTTP attributes; a failed call carries `error.type`. Swap the stdout
//! exporter for an OTLP one to send them to Jaeger, Azure Monitor, ...
#[path = "common/mod.rs"]
mod common;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;

#[tokio::main]
async fn main() -> Result<(), common::AnyError> {
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(opentelemetry_stdout::SpanExporter::default())
        .build();
    // The SDK's spans only (target `keyvault`), not the HTTP stack's events.
    let only_sdk =
        tracing_subscriber::filter::Targets::new().with_target("keyvault", tracing::Level::INFO);
    let subscriber = tracing_subscriber::registry().with(
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("tracing_otel example"))
            .with_filter(only_sdk),
    );
    tracing::subscriber::set_global_default(subscriber)?;

    let vault = common::connect().await?;
    let client = &vault.client;
    let name = common::unique("traced");
    client.create_ec_key(&name, None).await?;
    let key = client.get_key(&name, None).await?;
    println!("got {}", key.name());
    match client.get_key("no-such-key", None).await {
        Err(e) => println!("missing: {:?} (status {:?})", e.kind(), e.status()),
        Ok(_) => println!("missing: unexpectedly found"),
    }
    vault.close().await;
    // Flushes the spans (the simple exporter has already printed them).
    provider.shutdown()?;
    Ok(())
}
