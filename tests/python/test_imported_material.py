"""End-to-end tests of imported key material over the wire (boto3): the
2025 DeleteImportedKeyMaterial with and without KeyMaterialId, and
ListKeyRotations with IncludeKeyMaterial. Run by scripts/python-tests against
`kms-lifecycle serve --clock manual --rules current`.

The first test is the escaped defect of issue 12, call for call: material
that DeleteImportedKeyMaterial names must never decrypt again until that same
material is reimported.
"""

import datetime
import os
import unittest

from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from test_server import DAY, advance, kms, now

OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


class ImportedMaterialTest(unittest.TestCase):
    def setUp(self):
        self.kms = kms()

    def error(self, fn, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        return cm.exception.response["Error"]["Code"], cm.exception.response["Error"]["Message"]

    def external_key(self):
        return self.kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]

    def import_material(self, kid, material, valid_to=None, import_type=None):
        p = self.kms.get_parameters_for_import(
            KeyId=kid, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
        )
        wrapped = serialization.load_der_public_key(p["PublicKey"]).encrypt(material, OAEP)
        kw = dict(KeyId=kid, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrapped)
        if valid_to is None:
            kw["ExpirationModel"] = "KEY_MATERIAL_DOES_NOT_EXPIRE"
        else:
            kw["ExpirationModel"] = "KEY_MATERIAL_EXPIRES"
            kw["ValidTo"] = datetime.datetime.fromtimestamp(valid_to, datetime.timezone.utc)
        if import_type:
            kw["ImportType"] = import_type
        return self.kms.import_key_material(**kw)["KeyMaterialId"]

    def state(self, kid):
        return self.kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"]

    def materials(self, kid):
        rows = self.kms.list_key_rotations(KeyId=kid, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
        return [(r["KeyMaterialId"], r["KeyMaterialState"], r["ImportState"]) for r in rows]

    def test_deleted_material_never_decrypts_again_until_the_same_material_is_reimported(self):
        m0, m1 = os.urandom(32), os.urandom(32)
        kid = self.external_key()
        self.import_material(kid, m0, valid_to=now() + 2 * DAY)
        id1 = self.import_material(kid, m1, import_type="NEW_KEY_MATERIAL")
        self.kms.rotate_key_on_demand(KeyId=kid)
        blob = self.kms.encrypt(KeyId=kid, Plaintext=b"secret under m1")["CiphertextBlob"]
        advance(2 * DAY)
        self.assertEqual(self.state(kid), "PendingImport")
        deleted = self.kms.delete_imported_key_material(KeyId=kid)
        self.assertEqual(deleted["KeyMaterialId"], id1)
        self.import_material(kid, m0)
        self.assertEqual(self.state(kid), "PendingImport")
        code, _ = self.error(self.kms.decrypt, CiphertextBlob=blob)
        self.assertEqual(code, "KMSInvalidStateException")
        self.import_material(kid, m1)
        self.assertEqual(self.state(kid), "Enabled")
        self.assertEqual(self.kms.decrypt(CiphertextBlob=blob)["Plaintext"], b"secret under m1")

    def test_delete_names_a_material_with_key_material_id(self):
        kid = self.external_key()
        id0 = self.import_material(kid, os.urandom(32))
        id1 = self.import_material(kid, os.urandom(32), import_type="NEW_KEY_MATERIAL")
        self.assertEqual(
            self.materials(kid),
            [(id0, "CURRENT", "IMPORTED"), (id1, "PENDING_ROTATION", "IMPORTED")],
        )
        # Pending material: deleted, no state change.
        self.assertEqual(self.kms.delete_imported_key_material(KeyId=kid, KeyMaterialId=id1)["KeyMaterialId"], id1)
        self.assertEqual(self.state(kid), "Enabled")
        self.assertEqual(self.materials(kid), [(id0, "CURRENT", "IMPORTED")])
        # The current one by id: PendingImport.
        self.kms.delete_imported_key_material(KeyId=kid, KeyMaterialId=id0)
        self.assertEqual(self.state(kid), "PendingImport")
        self.assertEqual(self.materials(kid), [(id0, "CURRENT", "PENDING_IMPORT")])
        # An id the key does not have.
        code, msg = self.error(self.kms.delete_imported_key_material, KeyId=kid, KeyMaterialId="ab" * 32)
        self.assertEqual(code, "NotFoundException")
        self.assertIn("ab" * 32, msg)
        # A malformed one.
        code, _ = self.error(self.kms.delete_imported_key_material, KeyId=kid, KeyMaterialId="G" * 64)
        self.assertEqual(code, "ValidationException")

    def test_delete_on_an_aws_kms_key_is_unsupported_with_or_without_key_material_id(self):
        kid = self.kms.create_key()["KeyMetadata"]["KeyId"]
        for kw in ({}, {"KeyMaterialId": "ab" * 32}):
            code, msg = self.error(self.kms.delete_imported_key_material, KeyId=kid, **kw)
            self.assertEqual(code, "UnsupportedOperationException")
            self.assertIn("origin is AWS_KMS", msg)

    def test_rotations_only_is_the_default(self):
        kid = self.external_key()
        self.import_material(kid, os.urandom(32))
        self.assertEqual(self.kms.list_key_rotations(KeyId=kid)["Rotations"], [])
        self.assertEqual(len(self.materials(kid)), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
