cloudflare_api_token = "h-i1hnUIwG0e41voIKZ6gQSQMNZCc_IYvUJPLHLl"
cloudflare_account_id = "af521b12b44cc502913c3c5ad90da32b"
aws_secret_access_key = "hhc8SqZ72kijpfU1TkIkcpRJMcwrEug7fVtP4c1O"
region = "eu-central-1"
