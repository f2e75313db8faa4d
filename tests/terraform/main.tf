# The configuration that tests/terraform.rs applies against `kms-lifecycle
# serve`. The test sets the variables (TF_VAR_*) for each phase: create, a
# plan that must show no changes, an update (disable, new policy, new
# description), destroy.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "endpoint" {
  type = string
}

variable "description" {
  type    = string
  default = "terraform end-to-end key"
}

variable "is_enabled" {
  type    = bool
  default = true
}

# Which of two policies the key gets ("v1", then "v2" in the update).
variable "policy_version" {
  type    = string
  default = "v1"
}

variable "key_material_base64" {
  type      = string
  sensitive = true
}

# The provider block a user needs: the endpoints and some credentials (they
# are not checked). STS answers GetCallerIdentity with the server's account.
provider "aws" {
  region     = "us-east-1"
  access_key = "test"
  secret_key = "test"
  endpoints {
    kms = var.endpoint
    sts = var.endpoint
  }
}

data "aws_caller_identity" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  policy = {
    Version = "2012-10-17"
    Id      = "terraform-e2e-${var.policy_version}"
    Statement = concat(
      [{
        Sid       = "Enable IAM User Permissions"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${local.account}:root" }
        Action    = "kms:*"
        Resource  = "*"
      }],
      var.policy_version == "v1" ? [] : [{
        Sid       = "AllowUseForEncryption"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${local.account}:root" }
        Action    = ["kms:Encrypt", "kms:Decrypt"]
        Resource  = "*"
      }]
    )
  }
}

resource "aws_kms_key" "main" {
  description             = var.description
  deletion_window_in_days = 10
  enable_key_rotation     = true
  rotation_period_in_days = 180
  is_enabled              = var.is_enabled
  policy                  = jsonencode(local.policy)
  tags = {
    Team = "platform"
    Env  = "e2e"
  }
}

resource "aws_kms_alias" "main" {
  name          = "alias/terraform-e2e"
  target_key_id = aws_kms_key.main.key_id
}

resource "aws_kms_external_key" "imported" {
  description             = "terraform end-to-end imported key"
  deletion_window_in_days = 7
  # Without this the provider disables the key right after the import.
  enabled             = true
  key_material_base64 = var.key_material_base64
  tags = {
    Team = "platform"
  }
}

output "account_id" {
  value = local.account
}

output "key_id" {
  value = aws_kms_key.main.key_id
}

output "key_arn" {
  value = aws_kms_key.main.arn
}

output "external_key_id" {
  value = aws_kms_external_key.imported.id
}

output "external_key_state" {
  value = aws_kms_external_key.imported.key_state
}
