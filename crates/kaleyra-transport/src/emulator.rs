//! A client for a local emulator (feature `emulator`), for tests and demos.

use kaleyra_emulator::RunningEmulator;

use crate::{Client, ClientBuilder};

impl ClientBuilder {
    /// A builder for a client of `emulator`: its base URL, SID and API key, every other
    /// setting at its default (change them before [`ClientBuilder::build`]). An emulator
    /// serving TLS also needs its certificate trusted ([`ClientBuilder::tls_roots`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use kaleyra_emulator::Emulator;
    /// use kaleyra_transport::{AddNumberRequest, ClientBuilder, validate};
    ///
    /// let emulator = Emulator::start().await?;
    /// let client = ClientBuilder::for_emulator(&emulator).build()?;
    /// let request = validate(&AddNumberRequest::new("Shop", "+13236550017"))?;
    /// client.add_number(&request).await?;
    /// assert_eq!(emulator.numbers().creations(), 1);
    /// # Ok(()) }
    /// ```
    pub fn for_emulator(emulator: &RunningEmulator) -> ClientBuilder {
        let config = emulator.config();
        Client::builder(config.sid.clone(), config.api_key.clone()).base_url(emulator.base_url())
    }
}
