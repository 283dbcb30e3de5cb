//! Who a caller is, as recorded in `user_uuid`: a UUIDv5 of the caller's IAM ARN under a
//! fixed namespace, so anyone holding the ARN can recompute it (`cargo-ai whoami` shows both).

use uuid::Uuid;

/// The namespace for `user_uuid`. Fixed forever: changing it would split every user in two.
pub const USER_NAMESPACE: Uuid = uuid::uuid!("d301feeb-fa85-4443-9744-315378544105");

/// The `user_uuid` the server records for a caller with this ARN.
pub fn user_uuid(user_arn: &str) -> Uuid {
    Uuid::new_v5(&USER_NAMESPACE, user_arn.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_distinct() {
        let alice = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Developer_0123456789abcdef/alice@example.com";
        let bob = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Developer_0123456789abcdef/bob@example.com";
        assert_eq!(user_uuid(alice), user_uuid(alice));
        assert_ne!(user_uuid(alice), user_uuid(bob));
        assert_eq!(user_uuid(alice).get_version_num(), 5);
        // Pinned: any change to the namespace or the hashing breaks every stored row's ownership.
        assert_eq!(
            user_uuid("arn:aws:iam::000000000000:user/alice").to_string(),
            Uuid::new_v5(&USER_NAMESPACE, b"arn:aws:iam::000000000000:user/alice").to_string()
        );
    }
}
