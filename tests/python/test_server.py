"""End-to-end tests of `kms-lifecycle serve --clock manual` with real clients.

Run by scripts/python-tests, which starts the server and sets
KMS_ENDPOINT (e.g. http://127.0.0.1:4599). boto3 signs with SigV4; the server
accepts any credentials.
"""

import base64
import json
import os
import subprocess
import sys
import unittest
import urllib.request

import boto3
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

ENDPOINT = os.environ.get("KMS_ENDPOINT", "http://127.0.0.1:4599")
DAY = 86400


def kms():
    return boto3.client(
        "kms",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def clock_op(op, body=None):
    req = urllib.request.Request(
        ENDPOINT + "/",
        data=json.dumps(body or {}).encode(),
        headers={
            "X-Amz-Target": "KmsLifecycle." + op,
            "Content-Type": "application/x-amz-json-1.1",
        },
        method="POST",
    )
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def advance(seconds):
    return clock_op("AdvanceClock", {"Seconds": seconds})["Now"]


def now():
    return clock_op("GetClock")["Now"]


class KmsServerTest(unittest.TestCase):
    def setUp(self):
        self.kms = kms()

    def assertError(self, code, fn, *args, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.response["Error"]["Code"], code, cm.exception)
        return cm.exception.response["Error"]["Message"]

    def new_key(self, **kw):
        return self.kms.create_key(**kw)["KeyMetadata"]

    def test_create_encrypt_rotate_on_demand_and_automatic(self):
        key = self.new_key(Description="e2e")
        self.assertEqual(key["KeyState"], "Enabled")
        self.assertTrue(key["Arn"].startswith("arn:aws:kms:us-east-1:111122223333:key/"))
        kid = key["KeyId"]
        ct_old = self.kms.encrypt(KeyId=kid, Plaintext=b"old secret")["CiphertextBlob"]
        self.kms.rotate_key_on_demand(KeyId=kid)
        self.kms.enable_key_rotation(KeyId=kid, RotationPeriodInDays=365)
        start = now()
        advance(400 * DAY)
        rotations = self.kms.list_key_rotations(KeyId=kid)["Rotations"]
        types = [r["RotationType"] for r in rotations]
        self.assertEqual(types, ["ON_DEMAND", "AUTOMATIC"])
        auto_date = rotations[1]["RotationDate"].timestamp()
        self.assertEqual(int(auto_date), start + 365 * DAY)
        out = self.kms.decrypt(CiphertextBlob=ct_old)
        self.assertEqual(out["Plaintext"], b"old secret")
        self.assertEqual(out["KeyId"], key["Arn"])
        status = self.kms.get_key_rotation_status(KeyId=kid)
        self.assertTrue(status["KeyRotationEnabled"])
        self.assertEqual(int(status["NextRotationDate"].timestamp()), start + 730 * DAY)

    def test_encryption_context_is_bound(self):
        kid = self.new_key()["KeyId"]
        ct = self.kms.encrypt(KeyId=kid, Plaintext=b"x", EncryptionContext={"ab": "c"})["CiphertextBlob"]
        self.assertError("InvalidCiphertextException", self.kms.decrypt, CiphertextBlob=ct, EncryptionContext={"a": "bc"})
        self.assertError("InvalidCiphertextException", self.kms.decrypt, CiphertextBlob=ct)
        self.assertEqual(self.kms.decrypt(CiphertextBlob=ct, EncryptionContext={"ab": "c"})["Plaintext"], b"x")

    def test_full_import_flow_with_python_cryptography(self):
        key = self.new_key(Origin="EXTERNAL")
        self.assertEqual(key["KeyState"], "PendingImport")
        kid = key["KeyId"]
        params = self.kms.get_parameters_for_import(
            KeyId=kid, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
        )
        public_key = serialization.load_der_public_key(params["PublicKey"])
        material = os.urandom(32)
        wrapped = public_key.encrypt(
            material,
            padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
        )
        self.kms.import_key_material(
            KeyId=kid,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrapped,
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )
        self.assertEqual(self.kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"], "Enabled")
        ct = self.kms.encrypt(KeyId=kid, Plaintext=b"imported")["CiphertextBlob"]
        self.assertEqual(self.kms.decrypt(CiphertextBlob=ct)["Plaintext"], b"imported")
        # Different material is refused.
        other = public_key.encrypt(
            os.urandom(32),
            padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
        )
        self.assertError(
            "IncorrectKeyMaterialException",
            self.kms.import_key_material,
            KeyId=kid,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=other,
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )
        # The token dies after 24 hours.
        advance(DAY)
        self.assertError(
            "ExpiredImportTokenException",
            self.kms.import_key_material,
            KeyId=kid,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrapped,
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )

    def test_schedule_deletion_then_not_found(self):
        key = self.new_key()
        kid = key["KeyId"]
        ct = self.kms.encrypt(KeyId=kid, Plaintext=b"bye")["CiphertextBlob"]
        self.kms.create_alias(AliasName="alias/e2e-deleted", TargetKeyId=kid)
        resp = self.kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
        self.assertEqual(resp["KeyState"], "PendingDeletion")
        self.assertEqual(resp["KeyId"], key["Arn"])
        msg = self.assertError("KMSInvalidStateException", self.kms.encrypt, KeyId=kid, Plaintext=b"x")
        self.assertEqual(msg, key["Arn"] + " is pending deletion.")
        alarms = clock_op("ListAlarms")["Alarms"]
        self.assertTrue(any(a["KeyArn"] == key["Arn"] and a["Operation"] == "Encrypt" for a in alarms))
        advance(7 * DAY - 1)
        self.assertEqual(self.kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"], "PendingDeletion")
        advance(1)
        msg = self.assertError("NotFoundException", self.kms.describe_key, KeyId=kid)
        self.assertEqual(msg, "Key '%s' does not exist" % key["Arn"])
        self.assertError("NotFoundException", self.kms.decrypt, CiphertextBlob=ct)
        names = [a["AliasName"] for a in self.kms.list_aliases()["Aliases"]]
        self.assertNotIn("alias/e2e-deleted", names)
        events = clock_op("ListEvents")["Events"]
        self.assertTrue(any(e["EventName"] == "DeleteKey" and e.get("KeyArn") == key["Arn"] for e in events))

    def test_cancel_deletion_leaves_key_disabled(self):
        kid = self.new_key()["KeyId"]
        self.kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=30)
        self.kms.cancel_key_deletion(KeyId=kid)
        self.assertEqual(self.kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"], "Disabled")
        self.assertError("DisabledException", self.kms.encrypt, KeyId=kid, Plaintext=b"x")
        self.kms.enable_key(KeyId=kid)
        self.kms.encrypt(KeyId=kid, Plaintext=b"x")

    def test_alias_flows(self):
        a = self.new_key()["KeyId"]
        b = self.new_key()["KeyId"]
        self.kms.create_alias(AliasName="alias/e2e-app", TargetKeyId=a)
        ct = self.kms.encrypt(KeyId="alias/e2e-app", Plaintext=b"doc1")["CiphertextBlob"]
        self.kms.update_alias(AliasName="alias/e2e-app", TargetKeyId=b)
        ct2 = self.kms.encrypt(KeyId="alias/e2e-app", Plaintext=b"doc2")["CiphertextBlob"]
        self.assertTrue(self.kms.decrypt(CiphertextBlob=ct2)["KeyId"].endswith(b))
        self.kms.disable_key(KeyId=a)
        self.assertError("DisabledException", self.kms.decrypt, CiphertextBlob=ct)
        self.kms.enable_key(KeyId=a)
        self.assertEqual(self.kms.decrypt(CiphertextBlob=ct)["Plaintext"], b"doc1")
        self.assertError("AlreadyExistsException", self.kms.create_alias, AliasName="alias/e2e-app", TargetKeyId=a)
        self.assertError("NotAuthorizedException", self.kms.create_alias, AliasName="alias/aws/mine", TargetKeyId=a)
        self.assertError("ValidationException", self.kms.create_alias, AliasName="noprefix", TargetKeyId=a)
        self.kms.delete_alias(AliasName="alias/e2e-app")
        self.assertError("NotFoundException", self.kms.encrypt, KeyId="alias/e2e-app", Plaintext=b"x")

    def test_managed_key_through_predefined_alias(self):
        meta = self.kms.describe_key(KeyId="alias/aws/e2e")["KeyMetadata"]
        self.assertEqual(meta["KeyManager"], "AWS")
        self.assertTrue(self.kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"])
        self.assertError("UnsupportedOperationException", self.kms.disable_key, KeyId=meta["KeyId"])

    def test_every_state_exception_of_the_state_table(self):
        key = self.new_key()
        kid, arn = key["KeyId"], key["Arn"]
        self.kms.disable_key(KeyId=kid)
        self.assertEqual(self.assertError("DisabledException", self.kms.encrypt, KeyId=kid, Plaintext=b"x"), arn + " is disabled.")
        self.assertError("DisabledException", self.kms.enable_key_rotation, KeyId=kid)
        self.assertError("DisabledException", self.kms.rotate_key_on_demand, KeyId=kid)
        self.assertError("KMSInvalidStateException", self.kms.cancel_key_deletion, KeyId=kid)
        self.assertError("UnsupportedOperationException", self.kms.get_parameters_for_import,
                         KeyId=kid, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
        self.kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
        self.assertError("KMSInvalidStateException", self.kms.enable_key, KeyId=kid)
        self.assertError("KMSInvalidStateException", self.kms.disable_key, KeyId=kid)
        self.assertError("KMSInvalidStateException", self.kms.schedule_key_deletion, KeyId=kid)
        self.assertError("KMSInvalidStateException", self.kms.generate_data_key, KeyId=kid, KeySpec="AES_256")
        self.assertError("KMSInvalidStateException", self.kms.tag_resource, KeyId=kid, Tags=[{"TagKey": "a", "TagValue": "b"}])
        self.assertFalse(self.kms.get_key_rotation_status(KeyId=kid)["KeyRotationEnabled"])
        ext = self.new_key(Origin="EXTERNAL")["KeyId"]
        self.assertError("KMSInvalidStateException", self.kms.encrypt, KeyId=ext, Plaintext=b"x")
        self.assertError("UnsupportedOperationException", self.kms.enable_key_rotation, KeyId=ext)
        self.assertError("UnsupportedOperationException", self.kms.get_key_rotation_status, KeyId=ext)
        self.assertError("KMSInvalidStateException", self.kms.enable_key, KeyId=ext)
        self.kms.delete_imported_key_material(KeyId=ext)  # no effect, succeeds
        self.assertError("ValidationException", self.kms.schedule_key_deletion, KeyId=ext, PendingWindowInDays=6)
        self.assertError("ValidationException", self.kms.encrypt, KeyId=ext, Plaintext=b"x" * 4097)
        self.assertError("NotFoundException", self.kms.describe_key, KeyId="00000000-0000-4000-8000-000000000000")
        self.assertError("InvalidCiphertextException", self.kms.decrypt, CiphertextBlob=b"\x00" * 64)
        ct = self.kms.encrypt(KeyId=self.new_key()["KeyId"], Plaintext=b"x")["CiphertextBlob"]
        self.assertError("IncorrectKeyException", self.kms.decrypt, CiphertextBlob=ct, KeyId=self.new_key()["KeyId"])
        lim_key = self.new_key()["KeyId"]
        for _ in range(25):
            self.kms.rotate_key_on_demand(KeyId=lim_key)
        self.assertError("LimitExceededException", self.kms.rotate_key_on_demand, KeyId=lim_key)


    def test_remaining_exceptions_through_boto3(self):
        # InvalidImportTokenException: a token issued for another key.
        a = self.new_key(Origin="EXTERNAL")["KeyId"]
        b = self.new_key(Origin="EXTERNAL")["KeyId"]
        pa = self.kms.get_parameters_for_import(KeyId=a, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
        self.kms.get_parameters_for_import(KeyId=b, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
        pub = serialization.load_der_public_key(pa["PublicKey"])
        wrapped = pub.encrypt(os.urandom(32), padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
        self.assertError("InvalidImportTokenException", self.kms.import_key_material, KeyId=b,
                         ImportToken=pa["ImportToken"], EncryptedKeyMaterial=wrapped,
                         ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
        # A superseded token of the same key is invalid too.
        self.kms.get_parameters_for_import(KeyId=a, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
        self.assertError("InvalidImportTokenException", self.kms.import_key_material, KeyId=a,
                         ImportToken=pa["ImportToken"], EncryptedKeyMaterial=wrapped,
                         ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
        # InvalidCiphertextException: material that cannot be unwrapped.
        pa2 = self.kms.get_parameters_for_import(KeyId=a, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
        self.assertError("InvalidCiphertextException", self.kms.import_key_material, KeyId=a,
                         ImportToken=pa2["ImportToken"], EncryptedKeyMaterial=b"\x01" * 256,
                         ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
        # ValidationException: ValidTo missing with the default expiration model.
        wrapped2 = serialization.load_der_public_key(pa2["PublicKey"]).encrypt(
            os.urandom(32), padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
        self.assertError("ValidationException", self.kms.import_key_material, KeyId=a,
                         ImportToken=pa2["ImportToken"], EncryptedKeyMaterial=wrapped2)
        # ConflictException: an automatic rotation due within 20 minutes.
        k = self.new_key()["KeyId"]
        self.kms.enable_key_rotation(KeyId=k, RotationPeriodInDays=90)
        advance(90 * DAY - 600)
        self.assertError("ConflictException", self.kms.rotate_key_on_demand, KeyId=k)
        advance(600)
        self.assertEqual(self.kms.list_key_rotations(KeyId=k)["Rotations"][0]["RotationType"], "AUTOMATIC")
        # InvalidAliasNameException: characters outside [a-zA-Z0-9/_-].
        self.assertError("InvalidAliasNameException", self.kms.create_alias, AliasName="alias/bad name!", TargetKeyId=k)
        # Management operations refuse aliases (NotFoundException).
        self.kms.create_alias(AliasName="alias/e2e-mgmt", TargetKeyId=k)
        self.assertError("NotFoundException", self.kms.disable_key, KeyId="alias/e2e-mgmt")
        # UnsupportedOperationException: an unsupported key spec.
        self.assertError("UnsupportedOperationException", self.kms.create_key, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")

    def test_dry_run_encrypt_checks_and_changes_nothing(self):
        md = self.new_key()
        k, arn = md["KeyId"], md["Arn"]

        def events_of_key():
            return [e for e in clock_op("ListEvents")["Events"] if e.get("KeyArn") == arn]

        before = events_of_key()
        msg = self.assertError("DryRunOperationException", self.kms.encrypt,
                               KeyId=k, Plaintext=b"dry run", DryRun=True)
        self.assertEqual(msg, "The request would have succeeded, but the DryRun option is set.")
        # The audit trail has the call, refused; no ciphertext was made.
        after = events_of_key()
        self.assertEqual(len(after), len(before) + 1)
        self.assertEqual((after[-1]["EventName"], after[-1]["ErrorCode"]),
                         ("Encrypt", "DryRunOperationException"))
        # DryRun=False is the real call; a dry Decrypt of its blob is refused too.
        blob = self.kms.encrypt(KeyId=k, Plaintext=b"dry run", DryRun=False)["CiphertextBlob"]
        self.assertError("DryRunOperationException", self.kms.decrypt, CiphertextBlob=blob, DryRun=True)
        # Where the call would fail, the real error.
        self.kms.disable_key(KeyId=k)
        msg = self.assertError("DisabledException", self.kms.encrypt,
                               KeyId=k, Plaintext=b"dry run", DryRun=True)
        self.assertEqual(msg, f"{arn} is disabled.")

    def test_missing_or_empty_key_id_is_a_validation_exception(self):
        # boto3 refuses these before sending; without its parameter validation
        # they reach the server, which answers as AWS does.
        from botocore.config import Config
        raw = boto3.client(
            "kms",
            endpoint_url=ENDPOINT,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(parameter_validation=False),
        )
        null_key_id = ("1 validation error detected: Value null at 'keyId' failed to satisfy "
                       "constraint: Member must not be null")
        with self.assertRaises(ClientError) as cm:
            raw.describe_key()
        self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationException")
        self.assertEqual(cm.exception.response["Error"]["Message"], null_key_id)
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        with self.assertRaises(ClientError) as cm:
            raw.encrypt(Plaintext=b"x")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationException")
        self.assertEqual(cm.exception.response["Error"]["Message"], null_key_id)
        with self.assertRaises(ClientError) as cm:
            raw.encrypt(KeyId="", Plaintext=b"x")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationException")
        self.assertEqual(cm.exception.response["Error"]["Message"],
                         "1 validation error detected: Value '' at 'keyId' failed to satisfy "
                         "constraint: Member must have length greater than or equal to 1")
        with self.assertRaises(ClientError) as cm:
            raw.create_key(Origin="BOGUS")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationException")
        self.assertIn("Value 'BOGUS' at 'origin'", cm.exception.response["Error"]["Message"])


class AwsCliTest(unittest.TestCase):
    """The AWS CLI v1 against the server."""

    def aws(self, *args):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
        aws = os.path.join(os.path.dirname(sys.executable), "aws")
        out = subprocess.run([aws, "--endpoint-url", ENDPOINT, "--output", "json", "kms", *args],
                             env=env, capture_output=True, text=True)
        return out

    def test_cli_create_encrypt_decrypt_schedule(self):
        out = self.aws("create-key", "--description", "cli")
        self.assertEqual(out.returncode, 0, out.stderr)
        kid = json.loads(out.stdout)["KeyMetadata"]["KeyId"]
        # AWS CLI v1 sends a text blob argument as its raw bytes (v2 would expect base64).
        out = self.aws("encrypt", "--key-id", kid, "--plaintext", "cli secret")
        self.assertEqual(out.returncode, 0, out.stderr)
        blob = json.loads(out.stdout)["CiphertextBlob"]
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "kms-e2e-ct.bin")
        with open(path, "wb") as f:
            f.write(base64.b64decode(blob))
        out = self.aws("decrypt", "--ciphertext-blob", "fileb://" + path)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(base64.b64decode(json.loads(out.stdout)["Plaintext"]), b"cli secret")
        out = self.aws("schedule-key-deletion", "--key-id", kid, "--pending-window-in-days", "7")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(json.loads(out.stdout)["KeyState"], "PendingDeletion")
        out = self.aws("encrypt", "--key-id", kid, "--plaintext", "eA==")
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("KMSInvalidStateException", out.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)


class StsTest(unittest.TestCase):
    """STS GetCallerIdentity over the query protocol, as botocore sends it."""

    def sts(self):
        return boto3.client(
            "sts",
            endpoint_url=ENDPOINT,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def test_get_caller_identity_is_the_root_of_the_key_arns_account(self):
        ident = self.sts().get_caller_identity()
        account = kms().create_key()["KeyMetadata"]["AWSAccountId"]
        self.assertEqual(ident["Account"], account)
        self.assertEqual(ident["UserId"], account)
        self.assertEqual(ident["Arn"], "arn:aws:iam::%s:root" % account)
        self.assertEqual(len(ident["ResponseMetadata"]["RequestId"]), 36)

    def test_other_sts_actions_are_invalid_action(self):
        with self.assertRaises(ClientError) as cm:
            self.sts().get_session_token()
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidAction")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
