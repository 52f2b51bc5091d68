#!/usr/bin/env bash
# Deploys the guestbook, a three-tier serverless application, with the AWS CLI only:
#
#   data          a DynamoDB table (one partition of entries, ordered by time)
#   logic         a Python Lambda function that lists and adds entries
#   API           an API Gateway REST API: /{proxy+} with ANY, a Lambda proxy integration
#   presentation  an S3 static website whose JavaScript calls the API from the browser
#
#   AWS_ENDPOINT_URL=http://localhost:4566 ./deploy.sh my-guestbook
#
# Prints the API's and the website's URLs on its last two lines.
set -euo pipefail

NAME=${1:-guestbook}
HERE=$(cd "$(dirname "$0")" && pwd)
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
REGION=$AWS_DEFAULT_REGION
TABLE="$NAME-entries"
BUCKET="$NAME-site"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -n "${AWS_ENDPOINT_URL:-}" ]; then
  # Overcast: any credentials, its default account, and its URL forms on the endpoint's port.
  export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
  ACCOUNT=000000000000
  host="${AWS_ENDPOINT_URL#*://}"
  port="${host##*:}"
  port="${port%%/*}"
  api_scheme=http api_domain="execute-api.localhost:$port"
  website_url="http://$BUCKET.s3-website.localhost:$port/"
else
  ACCOUNT=$(aws sts get-caller-identity --query Account --output text)
  api_scheme=https api_domain="execute-api.$REGION.amazonaws.com"
  website_url="http://$BUCKET.s3-website-$REGION.amazonaws.com/"
fi

# 1. Data: the table.
aws dynamodb create-table --table-name "$TABLE" --billing-mode PAY_PER_REQUEST \
  --attribute-definitions AttributeName=book,AttributeType=S AttributeName=sk,AttributeType=S \
  --key-schema AttributeName=book,KeyType=HASH AttributeName=sk,KeyType=RANGE >/dev/null
aws dynamodb wait table-exists --table-name "$TABLE"

# 2. Logic: the function, told its table's name. (On AWS its role must allow dynamodb:Query and
#    dynamodb:PutItem on the table; Overcast does not evaluate IAM.)
(cd "$HERE/function" && python3 -m zipfile -c "$work/function.zip" guestbook.py)
aws lambda create-function --function-name "$NAME-api" --runtime python3.12 \
  --handler guestbook.lambda_handler --role "arn:aws:iam::$ACCOUNT:role/$NAME-api" \
  --environment "Variables={TABLE_NAME=$TABLE}" --zip-file "fileb://$work/function.zip" >/dev/null
aws lambda wait function-active-v2 --function-name "$NAME-api"
function_arn=$(aws lambda get-function --function-name "$NAME-api" --query Configuration.FunctionArn --output text)

# 3. API: every path and method goes to the function, which answers HTTP itself.
api_id=$(aws apigateway create-rest-api --name "$NAME" --query id --output text)
root_id=$(aws apigateway get-resources --rest-api-id "$api_id" --query 'items[?path==`/`].id' --output text)
proxy_id=$(aws apigateway create-resource --rest-api-id "$api_id" --parent-id "$root_id" \
  --path-part '{proxy+}' --query id --output text)
aws apigateway put-method --rest-api-id "$api_id" --resource-id "$proxy_id" --http-method ANY \
  --authorization-type NONE >/dev/null
aws apigateway put-integration --rest-api-id "$api_id" --resource-id "$proxy_id" --http-method ANY \
  --type AWS_PROXY --integration-http-method POST \
  --uri "arn:aws:apigateway:$REGION:lambda:path/2015-03-31/functions/$function_arn/invocations" >/dev/null
aws lambda add-permission --function-name "$NAME-api" --statement-id apigateway \
  --action lambda:InvokeFunction --principal apigateway.amazonaws.com \
  --source-arn "arn:aws:execute-api:$REGION:$ACCOUNT:$api_id/*/*/*" >/dev/null
aws apigateway create-deployment --rest-api-id "$api_id" --stage-name prod >/dev/null
api_url="$api_scheme://$api_id.$api_domain/prod"

# 4. Presentation: the website, with a config.js that tells the page where the API is.
aws s3 mb "s3://$BUCKET" >/dev/null
aws s3api put-public-access-block --bucket "$BUCKET" --public-access-block-configuration \
  BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=false,RestrictPublicBuckets=false
aws s3 website "s3://$BUCKET" --index-document index.html
aws s3 sync "$HERE/site" "s3://$BUCKET" >/dev/null
printf 'window.GUESTBOOK_API = "%s";\n' "$api_url" > "$work/config.js"
aws s3 cp "$work/config.js" "s3://$BUCKET/config.js" --content-type application/javascript >/dev/null
aws s3api put-bucket-policy --bucket "$BUCKET" --policy "{
  \"Version\": \"2012-10-17\",
  \"Statement\": [{\"Sid\": \"PublicRead\", \"Effect\": \"Allow\", \"Principal\": \"*\",
                  \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::$BUCKET/*\"}]
}"

echo "API: $api_url"
echo "Website: $website_url"
