/*
 * The Context a Java function gets: a proxy of the aws-lambda-java-core interfaces in the
 * function's own jar (Context, LambdaLogger, CognitoIdentity, ClientContext, Client), answered
 * from the invocation's headers and the environment, as AWS's Java runtime answers them.
 */

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/** The function's Context: a proxy of the aws-lambda-java-core interface in its own jar. */
final class OvercastJavaRuntimeContext implements InvocationHandler {
    static final String FUNCTION_NAME = System.getenv("AWS_LAMBDA_FUNCTION_NAME");
    static final String FUNCTION_VERSION = System.getenv("AWS_LAMBDA_FUNCTION_VERSION");
    static final String LOG_GROUP = System.getenv("AWS_LAMBDA_LOG_GROUP_NAME");
    static final String LOG_STREAM = System.getenv("AWS_LAMBDA_LOG_STREAM_NAME");
    static final int MEMORY = parseInt(System.getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"));

    final OvercastJavaRuntime.Invocation inv;

    OvercastJavaRuntimeContext(OvercastJavaRuntime.Invocation inv) {
        this.inv = inv;
    }

    static int parseInt(String text) {
        try {
            return text == null ? 0 : Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static Object of(OvercastJavaRuntime.Invocation inv) {
        if (OvercastJavaRuntime.contextType == null) {
            return null;
        }
        return Proxy.newProxyInstance(OvercastJavaRuntime.loader, new Class<?>[] {OvercastJavaRuntime.contextType},
            new OvercastJavaRuntimeContext(inv));
    }

    public Object invoke(Object proxy, Method method, Object[] args) {
        String name = method.getName();
        if (name.equals("getAwsRequestId")) {
            return inv.requestId;
        } else if (name.equals("getFunctionName")) {
            return FUNCTION_NAME;
        } else if (name.equals("getFunctionVersion")) {
            return FUNCTION_VERSION;
        } else if (name.equals("getInvokedFunctionArn")) {
            return inv.header("lambda-runtime-invoked-function-arn");
        } else if (name.equals("getLogGroupName")) {
            return LOG_GROUP;
        } else if (name.equals("getLogStreamName")) {
            return LOG_STREAM;
        } else if (name.equals("getMemoryLimitInMB")) {
            return MEMORY;
        } else if (name.equals("getRemainingTimeInMillis")) {
            return (int) Math.max(0, inv.deadlineMs - System.currentTimeMillis());
        } else if (name.equals("getLogger")) {
            return OvercastJavaRuntime.logger;
        } else if (name.equals("getXrayTraceId")) {
            return inv.header("lambda-runtime-trace-id");
        } else if (name.equals("getIdentity")) {
            return identity();
        } else if (name.equals("getClientContext")) {
            return clientContext();
        } else if (name.equals("toString") && method.getParameterTypes().length == 0) {
            return "LambdaContext[requestId=" + inv.requestId + "]";
        } else if (name.equals("hashCode") && method.getParameterTypes().length == 0) {
            return System.identityHashCode(proxy);
        } else if (name.equals("equals") && method.getParameterTypes().length == 1) {
            return proxy == args[0];
        }
        return OvercastJavaRuntimeTypes.defaultValue(method.getReturnType());
    }

    Object identity() {
        String header = inv.header("lambda-runtime-cognito-identity");
        Class<?> type = OvercastJavaRuntime.optionalClass(OvercastJavaRuntime.CORE + "CognitoIdentity");
        if (header == null || header.isEmpty() || type == null) {
            return null;
        }
        Object doc = OvercastJavaRuntimeJson.parse(header);
        final Map<?, ?> fields = doc instanceof Map ? (Map<?, ?>) doc : Collections.emptyMap();
        return view(type, new String[][] {
            {"getIdentityId", "cognitoIdentityId"}, {"getIdentityPoolId", "cognitoIdentityPoolId"}}, fields);
    }

    Object clientContext() {
        String header = inv.header("lambda-runtime-client-context");
        Class<?> type = OvercastJavaRuntime.optionalClass(OvercastJavaRuntime.CORE + "ClientContext");
        if (header == null || header.isEmpty() || type == null) {
            return null;
        }
        Object doc = OvercastJavaRuntimeJson.parse(header);
        Map<?, ?> fields = doc instanceof Map ? (Map<?, ?>) doc : Collections.emptyMap();
        Map<String, Object> values = new HashMap<String, Object>();
        values.put("custom", fields.get("custom"));
        values.put("env", fields.get("env"));
        Class<?> clientType = OvercastJavaRuntime.optionalClass(OvercastJavaRuntime.CORE + "Client");
        Object client = fields.get("client");
        if (clientType != null && client instanceof Map) {
            values.put("client", view(clientType, new String[][] {
                {"getInstallationId", "installation_id"}, {"getAppTitle", "app_title"},
                {"getAppVersionName", "app_version_name"}, {"getAppVersionCode", "app_version_code"},
                {"getAppPackageName", "app_package_name"}}, (Map<?, ?>) client));
        }
        return view(type, new String[][] {{"getClient", "client"}, {"getCustom", "custom"}, {"getEnvironment", "env"}},
            values);
    }

    /** A proxy of `type` whose getters answer the named fields of a JSON document. */
    static Object view(Class<?> type, final String[][] getters, final Map<?, ?> fields) {
        return Proxy.newProxyInstance(OvercastJavaRuntime.loader, new Class<?>[] {type}, new InvocationHandler() {
            public Object invoke(Object proxy, Method method, Object[] args) {
                for (String[] getter : getters) {
                    if (getter[0].equals(method.getName())) {
                        Object value = fields.get(getter[1]);
                        return method.getReturnType() == String.class && value != null ? String.valueOf(value) : value;
                    }
                }
                if (method.getName().equals("hashCode")) {
                    return System.identityHashCode(proxy);
                }
                if (method.getName().equals("equals")) {
                    return proxy == args[0];
                }
                if (method.getName().equals("toString")) {
                    return String.valueOf(fields);
                }
                return OvercastJavaRuntimeTypes.defaultValue(method.getReturnType());
            }
        });
    }

    /** LambdaLogger: each call is one log event, as on AWS. */
    static final class Logger implements InvocationHandler {
        public Object invoke(Object proxy, Method method, Object[] args) {
            String name = method.getName();
            if (name.equals("log") && args != null && args.length > 0) {
                Object message = args[0];
                if (message instanceof byte[]) {
                    OvercastJavaRuntime.logEvent(new String((byte[]) message, StandardCharsets.UTF_8));
                } else {
                    OvercastJavaRuntime.logEvent(String.valueOf(message));
                }
                return null;
            }
            if (name.equals("hashCode")) {
                return System.identityHashCode(proxy);
            }
            if (name.equals("equals")) {
                return proxy == args[0];
            }
            if (name.equals("toString")) {
                return "LambdaLogger";
            }
            return OvercastJavaRuntimeTypes.defaultValue(method.getReturnType());
        }
    }
}
