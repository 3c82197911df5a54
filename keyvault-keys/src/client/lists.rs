//! The `list_*` methods: keys, versions and deleted keys as streams.

use super::*;

impl KeyClient {
    fn pager<W, T>(
        &self,
        pages: impl futures::Stream<Item = std::result::Result<W, keyvault_keys_protocol::Error>>
        + Send
        + 'static,
        convert: fn(W) -> Result<Page<T>>,
    ) -> Pager<T>
    where
        W: Send + 'static,
        T: Send + 'static,
    {
        Pager::new(
            pages
                .map(move |p| p.map_err(Error::from).and_then(convert))
                .boxed(),
        )
    }

    /// The request's `maxresults` is a non-zero number, so 0 cannot be
    /// sent; the upper limit (25) is the service's to check.
    fn max_results(max_page_size: Option<u32>) -> Result<Option<NonZeroU32>> {
        match max_page_size {
            None => Ok(None),
            Some(n) => NonZeroU32::new(n)
                .map(Some)
                .ok_or_else(|| Error::validation("max_page_size must be at least 1, not 0")),
        }
    }

    fn key_page(p: types::KeyListResult) -> Result<Page<KeyProperties>> {
        Ok(Page {
            items: p
                .value
                .iter()
                .map(KeyProperties::from_item)
                .collect::<Result<_>>()?,
            continuation_token: p.next_link,
        })
    }

    fn failed<T: Send + 'static>(e: Error) -> Pager<T> {
        Pager::new(futures::stream::once(async move { Err(e) }).boxed())
    }

    /// Lists the keys (latest version of each), without key material.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # client.create_ec_key("key-name", None).await?;
    /// use futures::TryStreamExt as _;
    /// let keys: Vec<_> = client.list_properties_of_keys(None).try_collect().await?;
    /// for key in keys { println!("{}", key.name); }
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn list_properties_of_keys(
        &self,
        options: Option<ListPropertiesOfKeysOptions>,
    ) -> Pager<KeyProperties> {
        if let Err(e) = self.require("list_properties_of_keys", "GetKeys") {
            return Self::failed(e);
        }
        let o = options.unwrap_or_default();
        let max = match Self::max_results(o.max_page_size) {
            Ok(m) => m,
            Err(e) => return Self::failed(e),
        };
        match o.continuation_token {
            Some(token) => self.pager(
                self.protocol.pages_from::<types::KeyListResult>(token),
                Self::key_page,
            ),
            None => {
                let c = self.protocol.clone();
                self.pager(
                    self.protocol.pages(async move { c.get_keys(max).await }),
                    Self::key_page,
                )
            }
        }
    }

    /// Lists the versions of a key.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # client.create_ec_key("key-name", None).await?;
    /// use futures::TryStreamExt as _;
    /// let mut versions = client.list_properties_of_key_versions("key-name", None);
    /// while let Some(v) = versions.try_next().await? { println!("{:?} {:?}", v.version, v.created_on); }
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn list_properties_of_key_versions(
        &self,
        name: &str,
        options: Option<ListPropertiesOfKeyVersionsOptions>,
    ) -> Pager<KeyProperties> {
        if let Err(e) = validate_key_name(name)
            .and_then(|()| self.require("list_properties_of_key_versions", "GetKeyVersions"))
        {
            return Self::failed(e);
        }
        let o = options.unwrap_or_default();
        let max = match Self::max_results(o.max_page_size) {
            Ok(m) => m,
            Err(e) => return Self::failed(e),
        };
        match o.continuation_token {
            Some(token) => self.pager(
                self.protocol.pages_from::<types::KeyListResult>(token),
                Self::key_page,
            ),
            None => {
                let (c, name) = (self.protocol.clone(), name.to_owned());
                self.pager(
                    self.protocol
                        .pages(async move { c.get_key_versions(&name, max).await }),
                    Self::key_page,
                )
            }
        }
    }

    /// Lists the deleted keys.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # client.create_ec_key("key-name", None).await?;
    /// # client.delete_key("key-name", None).await?;
    /// use futures::TryStreamExt as _;
    /// let mut deleted = client.list_deleted_keys(None);
    /// while let Some(d) = deleted.try_next().await? { println!("{} {:?}", d.name(), d.deleted_date); }
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn list_deleted_keys(&self, options: Option<ListDeletedKeysOptions>) -> Pager<DeletedKey> {
        if let Err(e) = self.require("list_deleted_keys", "GetDeletedKeys") {
            return Self::failed(e);
        }
        let o = options.unwrap_or_default();
        let max = match Self::max_results(o.max_page_size) {
            Ok(m) => m,
            Err(e) => return Self::failed(e),
        };
        fn page(p: types::DeletedKeyListResult) -> Result<Page<DeletedKey>> {
            Ok(Page {
                items: p
                    .value
                    .iter()
                    .map(DeletedKey::from_item)
                    .collect::<Result<_>>()?,
                continuation_token: p.next_link,
            })
        }
        match o.continuation_token {
            Some(token) => self.pager(
                self.protocol
                    .pages_from::<types::DeletedKeyListResult>(token),
                page,
            ),
            None => {
                let c = self.protocol.clone();
                self.pager(
                    self.protocol
                        .pages(async move { c.get_deleted_keys(max).await }),
                    page,
                )
            }
        }
    }
}
