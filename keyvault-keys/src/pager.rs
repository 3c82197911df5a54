//! Pagers: `futures::Stream`s of items, with pages and continuation tokens.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{BoxStream, Stream, StreamExt as _};

use crate::error::Result;

/// One page of a list.
#[derive(Clone, Debug)]
pub struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// Pass to the list options' `continuation_token` (`ListPropertiesOfKeysOptions`, ...) to resume after this page.
    pub continuation_token: Option<String>,
}

/// A list: a stream of items (pages fetched as needed).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
/// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
/// # client.create_ec_key("key-name", None).await?;
/// use futures::TryStreamExt as _;
/// let mut keys = client.list_properties_of_keys(None);
/// while let Some(key) = keys.try_next().await? {
///     println!("{}", key.name);
/// }
/// # emulator.shutdown().await;
/// # Ok(()) }
/// ```
pub struct Pager<T> {
    pages: BoxStream<'static, Result<Page<T>>>,
    buffer: VecDeque<T>,
    /// The continuation token of the page the buffered items came from:
    /// resuming with it continues after that page.
    token: Option<String>,
}

impl<T: Send + 'static> Pager<T> {
    pub(crate) fn new(pages: BoxStream<'static, Result<Page<T>>>) -> Self {
        // An empty nextLink is no link: the page is the last one.
        let pages = pages
            .map(|page| {
                page.map(|mut p| {
                    p.continuation_token = p.continuation_token.filter(|t| !t.is_empty());
                    p
                })
            })
            .boxed();
        Self {
            pages,
            buffer: VecDeque::new(),
            token: None,
        }
    }

    /// The pages instead of the items.
    ///
    /// Every page but the last has a `continuation_token`. When some items
    /// were already read from this pager, the first page holds the rest of
    /// the page they came from, with that page's token (resuming with it
    /// continues after that page, so nothing is read twice or skipped).
    pub fn into_pages(self) -> BoxStream<'static, Result<Page<T>>> {
        let Pager {
            pages,
            buffer,
            token,
        } = self;
        if buffer.is_empty() {
            pages
        } else {
            futures::stream::once(async move {
                Ok(Page {
                    items: buffer.into_iter().collect(),
                    continuation_token: token,
                })
            })
            .chain(pages)
            .boxed()
        }
    }
}

impl<T> Unpin for Pager<T> {}

impl<T> Stream for Pager<T> {
    type Item = Result<T>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(item) = self.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            match self.pages.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(page))) => {
                    self.token = page.continuation_token;
                    self.buffer.extend(page.items);
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::TryStreamExt as _;

    use super::*;

    fn three_pages() -> Pager<u32> {
        let pages = [
            (vec![1, 2, 3], Some("https://v/keys?page=2".to_owned())),
            (vec![4, 5], Some("https://v/keys?page=3".to_owned())),
            (vec![6], Some(String::new())),
        ]
        .into_iter()
        .map(|(items, continuation_token)| {
            Ok(Page {
                items,
                continuation_token,
            })
        });
        Pager::new(futures::stream::iter(pages).boxed())
    }

    /// Only the last page may lack a continuation token, also when items
    /// were read from the pager before `into_pages`.
    #[tokio::test]
    async fn only_the_last_page_has_no_continuation_token() {
        for read_first in 0..=6 {
            let mut pager = three_pages();
            let mut read = Vec::new();
            for _ in 0..read_first {
                read.push(pager.try_next().await.expect("item").expect("some"));
            }
            let pages: Vec<Page<u32>> = pager.into_pages().try_collect().await.expect("pages");
            for (i, page) in pages.iter().enumerate() {
                let last = i + 1 == pages.len();
                assert_eq!(
                    page.continuation_token.is_none(),
                    last,
                    "after {read_first} items, page {i} of {}: {page:?}",
                    pages.len()
                );
            }
            read.extend(pages.into_iter().flat_map(|p| p.items));
            assert_eq!(read, [1, 2, 3, 4, 5, 6], "after {read_first} items");
        }
    }

    /// The rest of a partly read page carries that page's token: resuming
    /// with it continues with the next page.
    #[tokio::test]
    async fn the_rest_of_a_partly_read_page_carries_that_pages_token() {
        let mut pager = three_pages();
        assert_eq!(pager.try_next().await.expect("item"), Some(1));
        let mut pages = pager.into_pages();
        let rest = pages.try_next().await.expect("page").expect("some");
        assert_eq!(rest.items, [2, 3]);
        assert_eq!(
            rest.continuation_token.as_deref(),
            Some("https://v/keys?page=2")
        );
    }
}
