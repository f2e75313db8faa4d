"""`kms-lifecycle serve --identities FILE` with boto3 and two principals, A and
B, of one account (issue 16, item 2). The test writes the identities file,
starts its own server on a free loopback port (target/debug/kms-lifecycle, or
$KMS_LIFECYCLE_BIN; scripts/python-tests builds it) and stops it afterwards.
Without the binary the test fails: it never passes without a server.
"""

import json
import os
import socket
import subprocess
import tempfile
import time
import unittest

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("KMS_LIFECYCLE_BIN", os.path.join(ROOT, "target", "debug", "kms-lifecycle"))
ACCOUNT = "111122223333"
A_ARN = f"arn:aws:iam::{ACCOUNT}:user/A"
B_ARN = f"arn:aws:iam::{ACCOUNT}:user/B"
A = ("AKIAAAAAAAAAAAAAAAAA", "a-secret-0123456789abcdef")
B = ("AKIABBBBBBBBBBBBBBBB", "b-secret-0123456789abcdef")
IAM_ALLOW_KMS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
LOCKOUT = "The new key policy will not allow you to update the key policy in the future."


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal, action="kms:*", **extra):
    return dict({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action, "Resource": "*"}, **extra)


class AuthorizationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(BIN):
            raise RuntimeError(f"{BIN} not found: build it with `cargo build --all-features --bin kms-lifecycle`")
        cls.tmp = tempfile.TemporaryDirectory()
        path = os.path.join(cls.tmp.name, "identities.json")
        with open(path, "w") as f:
            json.dump({"Principals": [
                {"Arn": A_ARN, "AccessKeyId": A[0], "SecretAccessKey": A[1], "Policies": [IAM_ALLOW_KMS]},
                {"Arn": B_ARN, "AccessKeyId": B[0], "SecretAccessKey": B[1], "Policies": [IAM_ALLOW_KMS]},
            ]}, f)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        cls.endpoint = f"http://127.0.0.1:{port}"
        cls.server = subprocess.Popen(
            [BIN, "serve", "--addr", f"127.0.0.1:{port}", "--identities", path],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if cls.server.poll() is not None:
                    raise RuntimeError("server exited: " + cls.server.stderr.read().decode())
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not start")

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=10)
        cls.tmp.cleanup()

    def client(self, creds, service="kms"):
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=creds[0], aws_secret_access_key=creds[1],
                            config=Config(retries={"max_attempts": 1}))

    def setUp(self):
        self.a, self.b = self.client(A), self.client(B)

    def refused(self, fn, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        e = cm.exception.response["Error"]
        return e["Code"], e["Message"]

    def test_default_policy_lets_account_principals_with_an_iam_allow_in(self):
        key = self.a.create_key()["KeyMetadata"]["KeyId"]
        for c in (self.a, self.b):
            blob = c.encrypt(KeyId=key, Plaintext=b"hi")["CiphertextBlob"]
            self.assertEqual(c.decrypt(CiphertextBlob=blob)["Plaintext"], b"hi")
        self.assertIn(f"arn:aws:iam::{ACCOUNT}:root", self.b.get_key_policy(KeyId=key, PolicyName="default")["Policy"])

    def test_policy_for_a_alone_refuses_b(self):
        key = self.a.create_key(Policy=policy(allow(A_ARN)))["KeyMetadata"]["Arn"]
        self.a.encrypt(KeyId=key, Plaintext=b"x")
        for op, kw in (("encrypt", {"Plaintext": b"x"}), ("disable_key", {}),
                       ("schedule_key_deletion", {"PendingWindowInDays": 7})):
            code, msg = self.refused(getattr(self.b, op), KeyId=key, **kw)
            action = "kms:" + "".join(w.capitalize() for w in op.split("_"))
            self.assertEqual(code, "AccessDeniedException")
            self.assertEqual(msg, f"User: {B_ARN} is not authorized to perform: {action} on resource: {key} "
                                  f"because no resource-based policy allows the {action} action")
        self.assertEqual(self.a.describe_key(KeyId=key)["KeyMetadata"]["KeyState"], "Enabled")

    def test_deny_on_schedule_key_deletion_wins_over_kms_star(self):
        doc = policy(allow(A_ARN), {"Effect": "Deny", "Principal": {"AWS": A_ARN},
                                    "Action": "kms:ScheduleKeyDeletion", "Resource": "*"})
        key = self.a.create_key(Policy=doc)["KeyMetadata"]["Arn"]
        self.a.disable_key(KeyId=key)
        code, msg = self.refused(self.a.schedule_key_deletion, KeyId=key, PendingWindowInDays=7)
        self.assertEqual(code, "AccessDeniedException")
        self.assertTrue(msg.endswith("with an explicit deny in a resource-based policy"), msg)
        self.assertEqual(self.a.describe_key(KeyId=key)["KeyMetadata"]["KeyState"], "Disabled")

    def test_encryption_context_condition_allows_exactly_the_matching_context(self):
        doc = policy(allow(A_ARN),
                     allow(B_ARN, ["kms:Encrypt", "kms:Decrypt"],
                           Condition={"StringEquals": {"kms:EncryptionContext:Department": "IT"}}))
        key = self.a.create_key(Policy=doc)["KeyMetadata"]["KeyId"]
        blob = self.b.encrypt(KeyId=key, Plaintext=b"p", EncryptionContext={"Department": "IT"})["CiphertextBlob"]
        self.assertEqual(self.b.decrypt(CiphertextBlob=blob, EncryptionContext={"Department": "IT"})["Plaintext"], b"p")
        for ctx in ({"Department": "HR"}, {"Dept": "IT"}, {}):
            code, _ = self.refused(self.b.encrypt, KeyId=key, Plaintext=b"p", EncryptionContext=ctx)
            self.assertEqual(code, "AccessDeniedException", ctx)
        code, _ = self.refused(self.b.encrypt, KeyId=key, Plaintext=b"p")
        self.assertEqual(code, "AccessDeniedException")

    def test_put_key_policy_that_locks_the_caller_out_is_refused_unless_bypassed(self):
        key = self.a.create_key()["KeyMetadata"]["KeyId"]
        only_b = policy(allow(B_ARN))
        code, msg = self.refused(self.a.put_key_policy, KeyId=key, PolicyName="default", Policy=only_b)
        self.assertEqual((code, msg), ("MalformedPolicyDocumentException", LOCKOUT))
        self.assertIn(f":root", self.a.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
        self.a.put_key_policy(KeyId=key, PolicyName="default", Policy=only_b, BypassPolicyLockoutSafetyCheck=True)
        code, _ = self.refused(self.a.get_key_policy, KeyId=key, PolicyName="default")
        self.assertEqual(code, "AccessDeniedException")
        self.assertEqual(self.b.get_key_policy(KeyId=key, PolicyName="default")["Policy"], only_b)

    def test_unknown_principal_is_an_invalid_principal(self):
        key = self.a.create_key()["KeyMetadata"]["KeyId"]
        doc = policy(allow([A_ARN, f"arn:aws:iam::{ACCOUNT}:user/Nobody"]))
        code, msg = self.refused(self.a.put_key_policy, KeyId=key, PolicyName="default", Policy=doc)
        self.assertEqual((code, msg), ("MalformedPolicyDocumentException",
                                       "Policy contains a statement with one or more invalid principals."))

    def test_bad_signature_is_refused(self):
        wrong = self.client((A[0], "not-a-secret"))
        code, msg = self.refused(wrong.list_keys)
        self.assertEqual(code, "InvalidSignatureException")
        self.assertTrue(msg.startswith("The request signature we calculated does not match"), msg)
        code, _ = self.refused(self.client(("AKIAUNKNOWN000000000", A[1])).list_keys)
        self.assertEqual(code, "UnrecognizedClientException")

    def test_get_caller_identity_names_each_principal(self):
        for creds, arn in ((A, A_ARN), (B, B_ARN)):
            ident = self.client(creds, "sts").get_caller_identity()
            self.assertEqual((ident["Arn"], ident["Account"]), (arn, ACCOUNT))


if __name__ == "__main__":
    unittest.main()
