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
    /// Pass to `ListOptions::continuation_token` to resume after this page.
    pub continuation_token: Option<String>,
}

/// A list: a stream of items (pages fetched as needed).
///
/// ```no_run
/// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
/// use futures::TryStreamExt as _;
/// let mut keys = client.list_properties_of_keys(None);
/// while let Some(key) = keys.try_next().await? {
///     println!("{}", key.name);
/// }
/// # Ok(()) }
/// ```
pub struct Pager<T> {
    pages: BoxStream<'static, Result<Page<T>>>,
    buffer: VecDeque<T>,
}

impl<T: Send + 'static> Pager<T> {
    pub(crate) fn new(pages: BoxStream<'static, Result<Page<T>>>) -> Self {
        Self {
            pages,
            buffer: VecDeque::new(),
        }
    }

    /// The pages instead of the items.
    pub fn into_pages(self) -> BoxStream<'static, Result<Page<T>>> {
        let Pager { pages, buffer } = self;
        if buffer.is_empty() {
            pages
        } else {
            futures::stream::once(async move {
                Ok(Page {
                    items: buffer.into_iter().collect(),
                    continuation_token: None,
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
                Poll::Ready(Some(Ok(page))) => self.buffer.extend(page.items),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
