//! What an import does with each row: add the number, or update its profile.

use kaleyra_model::{AddNumberRequest, Field, RequestParseError, UpdateNumberRequest};
use kaleyra_validate::{Rejection, ValidatedRequest, ValidatedUpdate};
use serde_json::{Map, Value};

/// What an import does with each row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Operation {
    /// Add the number (`POST`): `display_name` and `wa_number` are mandatory.
    #[default]
    Add,
    /// Update the number's profile (`PUT`): `wa_number` names it, the other fields change it.
    Update,
}

impl Operation {
    /// The fields its requests take.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Operation::Add => &Field::ADD,
            Operation::Update => &Field::UPDATE,
        }
    }

    /// The columns a CSV for it must have.
    pub(crate) fn mandatory_columns(self) -> &'static [Field] {
        match self {
            Operation::Add => &[Field::DisplayName, Field::WaNumber],
            Operation::Update => &[Field::WaNumber],
        }
    }

    /// Its name in a journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Add => "add",
            Operation::Update => "update",
        }
    }

    /// An empty request of its kind.
    pub(crate) fn request(self) -> Request {
        match self {
            Operation::Add => Request::Add(AddNumberRequest::default()),
            Operation::Update => Request::Update(UpdateNumberRequest::default()),
        }
    }

    /// One JSON body read as its request.
    pub(crate) fn parse(self, body: &[u8]) -> Result<Request, RequestParseError> {
        match self {
            Operation::Add => AddNumberRequest::from_json(body).map(Request::Add),
            Operation::Update => UpdateNumberRequest::from_json(body).map(Request::Update),
        }
    }
}

/// A row's request, of the import's [`Operation`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Request {
    /// A number to add.
    Add(AddNumberRequest),
    /// A number to update.
    Update(UpdateNumberRequest),
}

impl Request {
    /// The value of `field`, `None` when absent (or not a field of this request).
    pub fn get(&self, field: Field) -> Option<&str> {
        match self {
            Request::Add(request) => request.get(field),
            Request::Update(request) => request.get(field),
        }
    }

    /// Sets (`Some`) or removes (`None`) `field`.
    pub fn set(&mut self, field: Field, value: Option<String>) {
        match self {
            Request::Add(request) => request.set(field, value),
            Request::Update(request) => request.set(field, value),
        }
    }

    /// Keys that are not fields of the request.
    pub fn extra(&self) -> &Map<String, Value> {
        match self {
            Request::Add(request) => &request.extra,
            Request::Update(request) => &request.extra,
        }
    }

    /// The add request, if this is one.
    pub fn as_add(&self) -> Option<&AddNumberRequest> {
        match self {
            Request::Add(request) => Some(request),
            Request::Update(_) => None,
        }
    }

    /// The update request, if this is one.
    pub fn as_update(&self) -> Option<&UpdateNumberRequest> {
        match self {
            Request::Update(request) => Some(request),
            Request::Add(_) => None,
        }
    }

    /// `wa_number` in its E.164 form (see `kaleyra_validate::suggest::e164_form`).
    pub(crate) fn normalize_number(&mut self) {
        if let Some(number) = self.get(Field::WaNumber) {
            let e164 = kaleyra_validate::suggest::e164_form(number);
            self.set(Field::WaNumber, Some(e164));
        }
    }

    /// Validated with the default rules.
    pub(crate) fn validate(&self) -> Result<Validated, Rejection> {
        match self {
            Request::Add(request) => kaleyra_validate::validate(request).map(Validated::Add),
            Request::Update(request) => {
                kaleyra_validate::validate_update(request).map(Validated::Update)
            }
        }
    }

    /// The verdict of [`Request::validate`], without the validated copy where that is cheaper.
    pub(crate) fn check(&self) -> Result<(), Rejection> {
        match self {
            Request::Add(request) => kaleyra_validate::check(request),
            Request::Update(request) => kaleyra_validate::validate_update(request).map(|_| ()),
        }
    }
}

impl From<AddNumberRequest> for Request {
    fn from(request: AddNumberRequest) -> Self {
        Request::Add(request)
    }
}

impl From<UpdateNumberRequest> for Request {
    fn from(request: UpdateNumberRequest) -> Self {
        Request::Update(request)
    }
}

/// A request every rule accepted, ready to send.
#[derive(Debug, Clone)]
pub(crate) enum Validated {
    Add(ValidatedRequest),
    Update(ValidatedUpdate),
}
