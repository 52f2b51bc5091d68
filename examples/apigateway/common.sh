# Shared by the example scripts here (sourced, not run): AWS CLI settings for Overcast, a
# scratch directory, and the steps more than one example takes.

: "${AWS_ENDPOINT_URL:=http://localhost:4566}"
export AWS_ENDPOINT_URL AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
examples_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# create_pets_function NAME: deploys pets-function/ as a Python function; prints its ARN.
create_pets_function() {
  (cd "$examples_dir/pets-function" && python3 -m zipfile -c "$work/pets.zip" lambda_function.py)
  aws lambda create-function --function-name "$1" --runtime python3.12 \
    --handler lambda_function.lambda_handler --role arn:aws:iam::000000000000:role/lambda-role \
    --zip-file "fileb://$work/pets.zip" --query FunctionArn --output text
  aws lambda wait function-active-v2 --function-name "$1"
}

# root_resource_id API_ID: the id of the API's "/" resource.
root_resource_id() {
  aws apigateway get-resources --rest-api-id "$1" --query 'items[?path==`/`].id' --output text
}

# allow_apigateway FUNCTION API_ID ROUTE: lets the API invoke the function for ROUTE
# (stage/method/path, e.g. "*/GET/pets/*").
allow_apigateway() {
  aws lambda add-permission --function-name "$1" --statement-id apigateway \
    --action lambda:InvokeFunction --principal apigateway.amazonaws.com \
    --source-arn "arn:aws:execute-api:${AWS_DEFAULT_REGION}:000000000000:$2/$3" >/dev/null
}

# invoke_url API_ID STAGE: the stage's invoke URL on this endpoint's port.
invoke_url() {
  local host="${AWS_ENDPOINT_URL#*://}"
  echo "http://$1.execute-api.localhost:${host##*:}/$2"
}
