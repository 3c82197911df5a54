//! nextLink paging as `futures::Stream`s, through the same pipeline.

use std::future::Future;

use futures::stream::{self, Stream, StreamExt as _, TryStreamExt as _};
use reqwest::{Method, Request, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use crate::Client;
use crate::error::{Error, HttpError};
use crate::types;

/// A page of a list operation: items and the link to the next page.
pub trait Page: DeserializeOwned + Send + 'static {
    /// What the page lists.
    type Item: Send + 'static;
    /// The absolute URL of the next page, if any.
    fn next_link(&self) -> Option<&str>;
    /// The page's items.
    fn into_items(self) -> Vec<Self::Item>;
}

impl Page for types::KeyListResult {
    type Item = types::KeyItem;
    fn next_link(&self) -> Option<&str> {
        self.next_link.as_deref().filter(|l| !l.is_empty())
    }
    fn into_items(self) -> Vec<Self::Item> {
        self.value
    }
}

impl Page for types::DeletedKeyListResult {
    type Item = types::DeletedKeyItem;
    fn next_link(&self) -> Option<&str> {
        self.next_link.as_deref().filter(|l| !l.is_empty())
    }
    fn into_items(self) -> Vec<Self::Item> {
        self.value
    }
}

/// Checks a nextLink the service sent: an absolute URL on the vault's
/// origin ([`Error::ForeignNextLink`] when it is not).
pub(crate) fn service_next_link_url(vault: &Url, next_link: &str) -> Result<Url, Error> {
    next_link_url(vault, next_link).map_err(|e| match e {
        Error::ForeignOrigin { url, vault } => Error::ForeignNextLink { url, vault },
        other => other,
    })
}

/// Checks a nextLink (a continuation token the caller gave): an absolute URL
/// on the vault's origin ([`Error::ForeignOrigin`] when it is not).
pub(crate) fn next_link_url(vault: &Url, next_link: &str) -> Result<Url, Error> {
    let url = Url::parse(next_link).map_err(|e| {
        Error::InvalidRequest(format!(
            "the nextLink {next_link:?} is not an absolute URL: {e}"
        ))
    })?;
    crate::pipeline::check_origin(vault, &url)?;
    Ok(url)
}

/// A list page's body as the pager reads it (a page of keys, else of
/// deleted keys): the nextLink it would follow, checked against the
/// vault's origin. For fuzz targets, through `crate::fuzzing::page_body`.
#[cfg(any(test, fuzzing))]
pub(crate) fn page_body(body: &[u8], vault_url: &str) -> Result<Option<String>, Error> {
    let vault = Url::parse(vault_url)
        .map_err(|e| Error::InvalidRequest(format!("the vault URL is not a URL: {e}")))?;
    let link = match serde_json::from_slice::<types::KeyListResult>(body) {
        Ok(page) => page.next_link().map(str::to_owned),
        Err(_) => serde_json::from_slice::<types::DeletedKeyListResult>(body)
            .map_err(|source| {
                Error::invalid_response(
                    StatusCode::OK,
                    bytes::Bytes::copy_from_slice(body),
                    &source,
                )
            })?
            .next_link()
            .map(str::to_owned),
    };
    link.map(|l| service_next_link_url(&vault, &l).map(String::from))
        .transpose()
}

/// The nextLinks already followed in one listing, kept as two independent
/// keyed 64-bit hashes of the parsed URL: 16 bytes a page however long the
/// links, and a false "already followed" (two links with the same 128 bits)
/// is out of reach even for a hostile server, which does not know the keys.
struct Visited {
    keys: [std::collections::hash_map::RandomState; 2],
    seen: std::collections::HashSet<(u64, u64)>,
}

impl Visited {
    fn new() -> Self {
        Self {
            keys: [Default::default(), Default::default()],
            seen: std::collections::HashSet::new(),
        }
    }

    /// True the first time a link is seen.
    fn first_visit(&mut self, link: &str) -> bool {
        use std::hash::BuildHasher as _;
        let normal = Url::parse(link).map_or_else(|_| link.to_owned(), String::from);
        let key = (
            self.keys[0].hash_one(&normal),
            self.keys[1].hash_one(&normal),
        );
        self.seen.insert(key)
    }
}

/// Where the next page comes from.
enum Next<F> {
    First(F),
    /// A continuation token the caller gave.
    Token(String),
    /// A nextLink the service sent.
    Link(String),
    Done,
}

impl Client {
    /// Fetches one page from an absolute nextLink (a continuation token).
    ///
    /// The link must be on the vault's origin: the token never leaves it.
    /// The request carries the client's api-version in place of the link's
    /// own, so a listing never changes version between pages.
    pub async fn get_page<P: Page>(&self, next_link: &str) -> Result<P, Error> {
        let mut url = next_link_url(self.vault_url(), next_link)?;
        self.pipeline().set_api_version(&mut url);
        let mut request = Request::new(Method::GET, url);
        request.headers_mut().insert(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        let response = self.execute(request, "nextLink").await?;
        let status = response.status();
        if status != StatusCode::OK {
            return Err(Error::Http(Box::new(
                HttpError::from_response(response).await?,
            )));
        }
        let body = response.bytes().await.map_err(crate::error::body_error)?;
        serde_json::from_slice(&body)
            .map_err(|source| Error::invalid_response(status, body.clone(), &source))
    }

    /// The pages of a list, starting with the response of a generated list
    /// method and following each nextLink.
    ///
    /// A nextLink already followed in this listing ends it with
    /// [`Error::RepeatedNextLink`] instead of paging forever, and a listing
    /// longer than [`ClientOptions::max_pages`](crate::ClientOptions::max_pages)
    /// pages ends with [`Error::TooManyPages`] (an endless series of
    /// distinct links).
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys_protocol::Client) -> Result<(), keyvault_keys_protocol::Error> {
    /// use futures::TryStreamExt as _;
    /// let c = client.clone();
    /// let mut pages = client.pages(async move { c.get_keys(std::num::NonZeroU32::new(25)).await });
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("{} keys", page.value.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pages<P, F>(&self, first: F) -> impl Stream<Item = Result<P, Error>> + Send + 'static
    where
        P: Page,
        F: Future<Output = Result<progenitor_client::ResponseValue<P>, Error>> + Send + 'static,
    {
        self.page_stream(Next::First(first))
    }

    /// The pages of a list, resuming from a continuation token (a nextLink).
    pub fn pages_from<P: Page>(
        &self,
        next_link: impl Into<String>,
    ) -> impl Stream<Item = Result<P, Error>> + Send + 'static {
        self.page_stream::<P, std::future::Ready<Result<progenitor_client::ResponseValue<P>, Error>>>(Next::Token(
            next_link.into(),
        ))
    }

    /// The items of every page, in order.
    pub fn items<P, F>(
        &self,
        first: F,
    ) -> impl Stream<Item = Result<P::Item, Error>> + Send + 'static
    where
        P: Page,
        F: Future<Output = Result<progenitor_client::ResponseValue<P>, Error>> + Send + 'static,
    {
        self.pages(first)
            .map_ok(|p: P| stream::iter(p.into_items().into_iter().map(Ok)))
            .try_flatten()
    }

    fn page_stream<P, F>(
        &self,
        start: Next<F>,
    ) -> impl Stream<Item = Result<P, Error>> + Send + 'static
    where
        P: Page,
        F: Future<Output = Result<progenitor_client::ResponseValue<P>, Error>> + Send + 'static,
    {
        let client = self.clone();
        let max_pages = self.pipeline().options().max_pages;
        stream::unfold(
            (client, start, Visited::new(), 0usize),
            move |(client, next, mut visited, read)| async move {
                let page = match next {
                    Next::Done => return None,
                    Next::First(_) | Next::Token(_) | Next::Link(_)
                        if max_pages.is_some_and(|m| read >= m) =>
                    {
                        Err(Error::TooManyPages {
                            limit: max_pages.unwrap_or_default(),
                        })
                    }
                    Next::First(f) => f.await.map(progenitor_client::ResponseValue::into_inner),
                    Next::Token(link) | Next::Link(link) if !visited.first_visit(&link) => {
                        Err(Error::RepeatedNextLink { url: link })
                    }
                    Next::Token(link) => client.get_page::<P>(&link).await,
                    // Checked here, so that a link off the vault's origin is
                    // the service's fault (ForeignNextLink), not the caller's.
                    Next::Link(link) => match service_next_link_url(client.vault_url(), &link) {
                        Ok(_) => client.get_page::<P>(&link).await,
                        Err(e) => Err(e),
                    },
                };
                match page {
                    Ok(p) => {
                        let next = match p.next_link() {
                            Some(l) => Next::Link(l.to_owned()),
                            None => Next::Done,
                        };
                        Some((Ok(p), (client, next, visited, read + 1)))
                    }
                    Err(e) => Some((Err(e), (client, Next::Done, visited, read))),
                }
            },
        )
        .boxed()
    }
}
