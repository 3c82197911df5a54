//! Who may do what: bearer tokens with the built-in Key Vault roles (Azure
//! RBAC) or with access-policy key permissions, checked as the service
//! checks them, with its 403 answers.
//!
//! The facts come from Microsoft's published role definitions (the
//! `dataActions` of each built-in role), the data-action catalogue of
//! `Microsoft.KeyVault`, and the access-policy key permissions each REST
//! operation documents ("This operation requires the keys/sign permission").

use std::collections::BTreeSet;

use crate::api_error::ApiError;

/// What one request does, for the permission it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Get a key, a version, its attestation or a deleted key.
    Get,
    /// List keys, versions or deleted keys.
    List,
    /// Create a key or a version.
    Create,
    /// Import a key.
    Import,
    /// Update a version's properties.
    Update,
    /// Delete a key.
    Delete,
    /// Purge a deleted key.
    Purge,
    /// Recover a deleted key.
    Recover,
    /// Back a key up.
    Backup,
    /// Restore a backup.
    Restore,
    /// Encrypt.
    Encrypt,
    /// Decrypt.
    Decrypt,
    /// Wrap a key.
    WrapKey,
    /// Unwrap a key.
    UnwrapKey,
    /// Sign a digest.
    Sign,
    /// Verify a signature.
    Verify,
    /// Release an exportable key.
    Release,
    /// Rotate a key.
    Rotate,
    /// Read a rotation policy.
    GetRotationPolicy,
    /// Set a rotation policy.
    SetRotationPolicy,
}

impl Op {
    /// The access-policy key permission it needs, as the service names it.
    pub fn permission(self) -> &'static str {
        use Op::*;
        match self {
            Get => "get",
            List => "list",
            Create => "create",
            Import => "import",
            Update => "update",
            Delete => "delete",
            Purge => "purge",
            Recover => "recover",
            Backup => "backup",
            Restore => "restore",
            Encrypt => "encrypt",
            Decrypt => "decrypt",
            WrapKey => "wrapKey",
            UnwrapKey => "unwrapKey",
            Sign => "sign",
            Verify => "verify",
            Release => "release",
            Rotate => "rotate",
            GetRotationPolicy => "getrotationpolicy",
            SetRotationPolicy => "setrotationpolicy",
        }
    }

    /// The RBAC data action it needs (gets and lists of deleted keys are
    /// `keys/read`: vaults have no separate deleted-key action).
    pub fn data_action(self) -> &'static str {
        use Op::*;
        match self {
            Get | List => "Microsoft.KeyVault/vaults/keys/read",
            Create => "Microsoft.KeyVault/vaults/keys/create/action",
            Import => "Microsoft.KeyVault/vaults/keys/import/action",
            Update => "Microsoft.KeyVault/vaults/keys/update/action",
            Delete => "Microsoft.KeyVault/vaults/keys/delete",
            Purge => "Microsoft.KeyVault/vaults/keys/purge/action",
            Recover => "Microsoft.KeyVault/vaults/keys/recover/action",
            Backup => "Microsoft.KeyVault/vaults/keys/backup/action",
            Restore => "Microsoft.KeyVault/vaults/keys/restore/action",
            Encrypt => "Microsoft.KeyVault/vaults/keys/encrypt/action",
            Decrypt => "Microsoft.KeyVault/vaults/keys/decrypt/action",
            WrapKey => "Microsoft.KeyVault/vaults/keys/wrap/action",
            UnwrapKey => "Microsoft.KeyVault/vaults/keys/unwrap/action",
            Sign => "Microsoft.KeyVault/vaults/keys/sign/action",
            Verify => "Microsoft.KeyVault/vaults/keys/verify/action",
            Release => "Microsoft.KeyVault/vaults/keys/release/action",
            Rotate => "Microsoft.KeyVault/vaults/keys/rotate/action",
            GetRotationPolicy => "Microsoft.KeyVault/vaults/keyrotationpolicies/read",
            SetRotationPolicy => "Microsoft.KeyVault/vaults/keyrotationpolicies/write",
        }
    }

    /// Whether, with RBAC, `keys/read` is enough when the key is asymmetric:
    /// the public-key operations (the service's data-action catalogue says
    /// so of encrypt, wrap and verify).
    fn public_key_operation(self) -> bool {
        matches!(self, Op::Encrypt | Op::WrapKey | Op::Verify)
    }
}

/// The built-in Key Vault roles (Azure RBAC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `Microsoft.KeyVault/vaults/*`.
    Administrator,
    /// `vaults/keys/*` and `vaults/keyrotationpolicies/*`.
    CryptoOfficer,
    /// `keys/read`, update, backup, encrypt, decrypt, wrap, unwrap, sign,
    /// verify.
    CryptoUser,
    /// `vaults/*/read`.
    Reader,
    /// `keys/read`, wrap, unwrap.
    CryptoServiceEncryptionUser,
    /// `keys/release/action`.
    CryptoServiceReleaseUser,
}

impl Role {
    const ALL: [(Role, &'static str); 6] = [
        (Role::Administrator, "Key Vault Administrator"),
        (Role::CryptoOfficer, "Key Vault Crypto Officer"),
        (Role::CryptoUser, "Key Vault Crypto User"),
        (Role::Reader, "Key Vault Reader"),
        (
            Role::CryptoServiceEncryptionUser,
            "Key Vault Crypto Service Encryption User",
        ),
        (
            Role::CryptoServiceReleaseUser,
            "Key Vault Crypto Service Release User",
        ),
    ];

    /// The role a name gives: the built-in role's name in any letter case,
    /// with or without the `Key Vault` prefix, spaces or dashes
    /// (`Key Vault Reader`, `reader`, `crypto-user`).
    pub fn parse(name: &str) -> Option<Self> {
        let squash = |s: &str| -> String {
            s.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect()
        };
        let want = squash(name);
        Self::ALL.iter().find_map(|(role, full)| {
            let full = squash(full);
            (want == full || Some(want.as_str()) == full.strip_prefix("keyvault")).then_some(*role)
        })
    }

    /// The role's name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(r, _)| *r == self)
            .map_or("", |(_, n)| n)
    }

    /// Whether the role's data actions include `action`.
    fn grants(self, action: &str) -> bool {
        let Some(rest) = action.strip_prefix("Microsoft.KeyVault/vaults/") else {
            return false;
        };
        match self {
            Role::Administrator => true,
            Role::CryptoOfficer => {
                rest.starts_with("keys/") || rest.starts_with("keyrotationpolicies/")
            }
            Role::Reader => rest.ends_with("/read"),
            Role::CryptoUser => matches!(
                rest,
                "keys/read"
                    | "keys/update/action"
                    | "keys/backup/action"
                    | "keys/encrypt/action"
                    | "keys/decrypt/action"
                    | "keys/wrap/action"
                    | "keys/unwrap/action"
                    | "keys/sign/action"
                    | "keys/verify/action"
            ),
            Role::CryptoServiceEncryptionUser => {
                matches!(
                    rest,
                    "keys/read" | "keys/wrap/action" | "keys/unwrap/action"
                )
            }
            Role::CryptoServiceReleaseUser => rest == "keys/release/action",
        }
    }
}

/// What a token may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// Everything (the emulator's default token, or `--token` without a
    /// scope).
    Full,
    /// A built-in role (Azure RBAC): refusals say `ForbiddenByRbac`.
    Role(Role),
    /// Access-policy key permissions (`get`, `list`, `sign`, …; `all` for
    /// every one): refusals say `ForbiddenByPolicy`.
    Policy(BTreeSet<String>),
}

/// The access-policy key permissions, as the service spells them.
pub const PERMISSIONS: [&str; 20] = [
    "get",
    "list",
    "create",
    "import",
    "update",
    "delete",
    "purge",
    "recover",
    "backup",
    "restore",
    "encrypt",
    "decrypt",
    "wrapKey",
    "unwrapKey",
    "sign",
    "verify",
    "release",
    "rotate",
    "getrotationpolicy",
    "setrotationpolicy",
];

/// A bearer token and what it may do.
#[derive(Clone)]
pub struct TokenGrant {
    /// The bearer token (compared in constant time; never printed).
    pub token: String,
    /// What it may do.
    pub access: Access,
}

impl std::fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenGrant")
            .field("token", &"<redacted>")
            .field("access", &self.access)
            .finish()
    }
}

impl TokenGrant {
    /// A token that may do everything.
    pub fn full(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            access: Access::Full,
        }
    }

    /// A token with a built-in role.
    pub fn role(token: impl Into<String>, role: Role) -> Self {
        Self {
            token: token.into(),
            access: Access::Role(role),
        }
    }

    /// A token with access-policy key permissions (`get`, `sign`, … or
    /// `all`), any letter case.
    pub fn permissions<'a>(
        token: impl Into<String>,
        permissions: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, String> {
        let mut set = BTreeSet::new();
        for p in permissions {
            let p = p.trim();
            if p.eq_ignore_ascii_case("all") {
                set.extend(PERMISSIONS.iter().map(|s| s.to_string()));
                continue;
            }
            let known = PERMISSIONS
                .iter()
                .find(|k| k.eq_ignore_ascii_case(p))
                .ok_or_else(|| {
                    format!(
                        "{p:?} is not a key permission; use all or some of {}",
                        PERMISSIONS.join(", ")
                    )
                })?;
            set.insert(known.to_string());
        }
        Ok(Self {
            token: token.into(),
            access: Access::Policy(set),
        })
    }
}

impl std::str::FromStr for TokenGrant {
    type Err = String;

    /// `TOKEN`, `TOKEN:role=ROLE` or `TOKEN:permissions=get,list,sign`.
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some((token, role)) = s.split_once(":role=") {
            let role = Role::parse(role).ok_or_else(|| {
                let names: Vec<&str> = Role::ALL.iter().map(|(_, n)| *n).collect();
                format!(
                    "--token: unknown role {role:?}; use one of {}",
                    names.join(", ")
                )
            })?;
            return nonempty(token).map(|t| TokenGrant::role(t, role));
        }
        if let Some((token, permissions)) = s.split_once(":permissions=") {
            return TokenGrant::permissions(nonempty(token)?, permissions.split(','))
                .map_err(|e| format!("--token: {e}"));
        }
        nonempty(s).map(TokenGrant::full)
    }
}

fn nonempty(token: &str) -> Result<&str, String> {
    if token.is_empty() {
        Err("--token needs a non-empty token".into())
    } else {
        Ok(token)
    }
}

/// Who a refusal names: no token is ever written; the grant's position
/// stands for the caller.
fn caller(index: usize) -> String {
    format!(
        "appid=00000000-0000-4000-8000-0000000e4a11;oid=00000000-0000-4000-8000-{index:012};iss=https://sts.windows.net/{}/",
        crate::server::EMULATOR_TENANT
    )
}

/// Checks that `access` (the grant at `index`) may do `op` on the key
/// `name` (when the path names one), in the vault `vault`. `asymmetric`
/// says whether the key is RSA or EC (then, with RBAC, a public-key
/// operation needs only `keys/read`). Refusals are the service's 403s.
pub fn check(
    access: &Access,
    index: usize,
    op: Op,
    vault: &str,
    name: Option<&str>,
    asymmetric: impl FnOnce() -> bool,
) -> Result<(), ApiError> {
    match access {
        Access::Full => Ok(()),
        Access::Role(role) => {
            let action = op.data_action();
            if role.grants(action)
                || (op.public_key_operation() && role.grants(Op::Get.data_action()) && asymmetric())
            {
                return Ok(());
            }
            let resource = match name {
                Some(n) => format!(
                    "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/keyvault-emulator/providers/microsoft.keyvault/vaults/{}/keys/{}",
                    vault.to_ascii_lowercase(),
                    n.to_ascii_lowercase()
                ),
                None => format!(
                    "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/keyvault-emulator/providers/microsoft.keyvault/vaults/{}",
                    vault.to_ascii_lowercase()
                ),
            };
            Err(ApiError::forbidden(
                format!(
                    "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: {}\r\nAction: '{action}'\r\nResource: '{resource}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\nVault: {vault};location=emulator\r\n",
                    caller(index)
                ),
                "ForbiddenByRbac",
            ))
        }
        Access::Policy(permissions) => {
            if permissions.contains(op.permission()) {
                return Ok(());
            }
            Err(ApiError::forbidden(
                format!(
                    "The user, group or application '{}' does not have keys {} permission on key vault '{vault};location=emulator'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
                    caller(index),
                    op.permission()
                ),
                "ForbiddenByPolicy",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(access: &Access, op: Op, asymmetric: bool) -> bool {
        check(access, 0, op, "v", Some("k"), || asymmetric).is_ok()
    }

    #[test]
    fn roles_grant_their_data_actions() {
        use Op::*;
        let every = [
            Get,
            List,
            Create,
            Import,
            Update,
            Delete,
            Purge,
            Recover,
            Backup,
            Restore,
            Encrypt,
            Decrypt,
            WrapKey,
            UnwrapKey,
            Sign,
            Verify,
            Release,
            Rotate,
            GetRotationPolicy,
            SetRotationPolicy,
        ];
        let role = |r| Access::Role(r);
        for op in every {
            assert!(allowed(&role(Role::Administrator), op, false), "{op:?}");
            assert!(allowed(&role(Role::CryptoOfficer), op, false), "{op:?}");
        }
        let reader = role(Role::Reader);
        for op in [Get, List, GetRotationPolicy] {
            assert!(allowed(&reader, op, false), "{op:?}");
        }
        for op in [Sign, Decrypt, Create, Delete, SetRotationPolicy, Release] {
            assert!(!allowed(&reader, op, true), "{op:?}");
        }
        // Public-key operations need only read, for asymmetric keys.
        for op in [Encrypt, WrapKey, Verify] {
            assert!(allowed(&reader, op, true), "{op:?}");
            assert!(!allowed(&reader, op, false), "{op:?} with oct");
        }
        let user = role(Role::CryptoUser);
        assert!(allowed(&user, Sign, false) && allowed(&user, Backup, false));
        assert!(!allowed(&user, Delete, false) && !allowed(&user, Create, false));
        let release = role(Role::CryptoServiceReleaseUser);
        assert!(allowed(&release, Release, false));
        assert!(!allowed(&release, Get, false));
        let enc = role(Role::CryptoServiceEncryptionUser);
        assert!(allowed(&enc, UnwrapKey, false) && !allowed(&enc, Decrypt, false));
    }

    #[test]
    fn refusals_say_the_services_codes_and_name_no_token() {
        let reader = Access::Role(Role::Reader);
        let e = check(&reader, 3, Op::Sign, "MyVault", Some("K1"), || true).expect_err("refused");
        assert_eq!(
            (e.status.as_u16(), e.code, e.inner),
            (403, "Forbidden", Some("ForbiddenByRbac"))
        );
        assert!(
            e.message
                .contains("Action: 'Microsoft.KeyVault/vaults/keys/sign/action'")
        );
        assert!(e.message.contains("/vaults/myvault/keys/k1'"));
        assert!(e.message.contains("Vault: MyVault;location=emulator"));
        let policy: TokenGrant = "secret-token:permissions=get,List".parse().expect("grant");
        assert_eq!(
            policy.access,
            Access::Policy(["get".to_string(), "list".to_string()].into())
        );
        let e = check(&policy.access, 1, Op::WrapKey, "v", None, || true).expect_err("refused");
        assert_eq!(e.inner, Some("ForbiddenByPolicy"));
        assert!(
            e.message.contains(
                "does not have keys wrapKey permission on key vault 'v;location=emulator'"
            )
        );
        assert!(!format!("{policy:?}").contains("secret-token"));
        assert!(!e.message.contains("secret-token"));
    }

    #[test]
    fn grants_parse_from_the_command_line() {
        let g: TokenGrant = "t1:role=Key Vault Crypto User".parse().expect("role");
        assert_eq!(g.access, Access::Role(Role::CryptoUser));
        assert_eq!(g.token, "t1");
        for name in ["reader", "Key Vault Reader", "key-vault-reader", "READER"] {
            assert_eq!(Role::parse(name), Some(Role::Reader), "{name}");
        }
        assert_eq!(
            Role::parse("crypto service release user"),
            Some(Role::CryptoServiceReleaseUser)
        );
        assert!("t:role=Owner".parse::<TokenGrant>().is_err());
        assert!("t:permissions=get,fly".parse::<TokenGrant>().is_err());
        assert!(":role=reader".parse::<TokenGrant>().is_err());
        let all: TokenGrant = "t:permissions=all".parse().expect("all");
        assert!(matches!(all.access, Access::Policy(ref p) if p.len() == PERMISSIONS.len()));
        assert_eq!(
            "plain".parse::<TokenGrant>().map(|g| g.access),
            Ok(Access::Full)
        );
    }
}
