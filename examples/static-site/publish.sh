#!/usr/bin/env bash
# Publishes ./site as an S3 static website, with the AWS CLI only. Works against AWS and against
# Overcast alike; for Overcast, point the CLI at it:
#
#   AWS_ENDPOINT_URL=http://localhost:4566 ./publish.sh my-site
#
# and open http://my-site.s3-website.localhost:4566/ (or the path form
# http://localhost:4566/_overcast/s3-website/my-site/).
set -euo pipefail

BUCKET=${1:-${SITE_BUCKET:-overcast-static-site}}
HERE=$(cd "$(dirname "$0")" && pwd)

if ! aws s3api head-bucket --bucket "$BUCKET" >/dev/null 2>&1; then
  aws s3 mb "s3://$BUCKET"
fi

# New buckets on AWS block public bucket policies; a public website needs them allowed.
aws s3api put-public-access-block --bucket "$BUCKET" --public-access-block-configuration \
  BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=false,RestrictPublicBuckets=false

# Index and error documents.
aws s3 website "s3://$BUCKET" --index-document index.html --error-document error.html

# The site's files, with Content-Type guessed from their names.
aws s3 sync "$HERE/site" "s3://$BUCKET" --delete

# Everyone may read the objects: the website endpoint serves only what is public.
aws s3api put-bucket-policy --bucket "$BUCKET" --policy "{
  \"Version\": \"2012-10-17\",
  \"Statement\": [{
    \"Sid\": \"PublicReadGetObject\",
    \"Effect\": \"Allow\",
    \"Principal\": \"*\",
    \"Action\": \"s3:GetObject\",
    \"Resource\": \"arn:aws:s3:::$BUCKET/*\"
  }]
}"

# The full configuration, with a routing rule: old /blog/ links move to /articles/.
aws s3api put-bucket-website --bucket "$BUCKET" --website-configuration '{
  "IndexDocument": {"Suffix": "index.html"},
  "ErrorDocument": {"Key": "error.html"},
  "RoutingRules": [{
    "Condition": {"KeyPrefixEquals": "blog/"},
    "Redirect": {"ReplaceKeyPrefixWith": "articles/", "HttpRedirectCode": "301"}
  }]
}'

endpoint=${AWS_ENDPOINT_URL:-}
if [ -n "$endpoint" ]; then
  port=${endpoint##*:}
  port=${port%%/*}
  echo "Website: http://$BUCKET.s3-website.localhost:$port/"
else
  echo "Website: http://$BUCKET.s3-website-$(aws configure get region || echo us-east-1).amazonaws.com/"
fi
