"""Java functions (java17, java21): handler kinds, context, errors, logs and the network path.

The function jars are built here from Java sources with the machine's javac and jar. As a real
function's jar carries aws-lambda-java-core, these carry a stand-in for its interfaces
(RequestHandler, RequestStreamHandler, Context, LambdaLogger), compiled into the jar.
"""

from __future__ import annotations

import base64
import glob
import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.services.lambda_.helpers import ROLE, invoke_json, unique

JAVAC = shutil.which("javac")
JAR = shutil.which("jar")
pytestmark = pytest.mark.skipif(JAVAC is None or JAR is None, reason="no JDK (javac and jar) is installed")

CORE = {
    "Context": """
        public interface Context {
            String getAwsRequestId();
            String getLogGroupName();
            String getLogStreamName();
            String getFunctionName();
            String getFunctionVersion();
            String getInvokedFunctionArn();
            CognitoIdentity getIdentity();
            ClientContext getClientContext();
            int getRemainingTimeInMillis();
            int getMemoryLimitInMB();
            LambdaLogger getLogger();
        }""",
    "LambdaLogger": """
        public interface LambdaLogger {
            void log(String message);
            void log(byte[] message);
        }""",
    "RequestHandler": """
        public interface RequestHandler<I, O> {
            O handleRequest(I input, Context context);
        }""",
    "RequestStreamHandler": """
        public interface RequestStreamHandler {
            void handleRequest(java.io.InputStream input, java.io.OutputStream output, Context context)
                throws java.io.IOException;
        }""",
    "CognitoIdentity": """
        public interface CognitoIdentity {
            String getIdentityId();
            String getIdentityPoolId();
        }""",
    "ClientContext": """
        public interface ClientContext {
            Client getClient();
            java.util.Map<String, String> getCustom();
            java.util.Map<String, String> getEnvironment();
        }""",
    "Client": """
        public interface Client {
            String getInstallationId();
            String getAppTitle();
            String getAppVersionName();
            String getAppVersionCode();
            String getAppPackageName();
        }""",
}

FUNCTIONS = {
    "example/MapHandler.java": """
        package example;
        import com.amazonaws.services.lambda.runtime.Context;
        import com.amazonaws.services.lambda.runtime.RequestHandler;
        import java.util.Map;
        public class MapHandler implements RequestHandler<Map<String, Object>, String> {
            private static int calls = 0;
            @Override
            public String handleRequest(Map<String, Object> event, Context context) {
                calls++;
                System.out.println("hello from java " + event.get("name"));
                System.err.println("to stderr");
                context.getLogger().log("logger line");
                Object n = event.get("n");
                return "calls=" + calls + " name=" + event.get("name") + " n=" + (n == null ? "" : n.getClass().getSimpleName());
            }
        }""",
    "example/Upper.java": """
        package example;
        import com.amazonaws.services.lambda.runtime.Context;
        import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
        import java.io.*;
        import java.nio.charset.StandardCharsets;
        public class Upper implements RequestStreamHandler {
            @Override
            public void handleRequest(InputStream in, OutputStream out, Context context) throws IOException {
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                byte[] buf = new byte[4096];
                for (int n; (n = in.read(buf)) > 0; ) all.write(buf, 0, n);
                String text = new String(all.toByteArray(), StandardCharsets.UTF_8);
                out.write(text.toUpperCase().getBytes(StandardCharsets.UTF_8));
            }
        }""",
    "example/Orders.java": """
        package example;
        import com.amazonaws.services.lambda.runtime.Context;
        import java.util.List;
        public class Orders {
            public static class Order {
                public String id;
                private int quantity;
                private List<Item> items;
                public void setQuantity(int quantity) { this.quantity = quantity; }
                public int getQuantity() { return quantity; }
                public void setItems(List<Item> items) { this.items = items; }
                public List<Item> getItems() { return items; }
            }
            public static class Item {
                public String sku;
                public double price;
            }
            static class Receipt {
                private final String orderId;
                private final double total;
                private final boolean bulk;
                Receipt(String orderId, double total, boolean bulk) { this.orderId = orderId; this.total = total; this.bulk = bulk; }
                public String getOrderId() { return orderId; }
                public double getTotal() { return total; }
                public boolean isBulk() { return bulk; }
                public String getNote() { return null; }
            }
            public Receipt handle(Order order, Context context) {
                double total = 0;
                for (Item item : order.getItems()) total += item.price * order.getQuantity();
                return new Receipt(order.id, total, order.getQuantity() > 10);
            }
        }""",
    "example/Info.java": """
        package example;
        import com.amazonaws.services.lambda.runtime.Context;
        import java.util.LinkedHashMap;
        import java.util.Map;
        public class Info {
            public Map<String, Object> context(Map<String, Object> event, Context context) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("requestId", context.getAwsRequestId());
                out.put("functionName", context.getFunctionName());
                out.put("functionVersion", context.getFunctionVersion());
                out.put("arn", context.getInvokedFunctionArn());
                out.put("memory", context.getMemoryLimitInMB());
                out.put("remaining", context.getRemainingTimeInMillis());
                out.put("logGroup", context.getLogGroupName());
                out.put("logStream", context.getLogStreamName());
                if (context.getClientContext() != null) {
                    out.put("clientCustom", context.getClientContext().getCustom());
                    out.put("appTitle", context.getClientContext().getClient().getAppTitle());
                }
                out.put("identity", context.getIdentity() == null ? null : context.getIdentity().getIdentityId());
                return out;
            }
            public static String env(String name) {
                return System.getenv(name);
            }
            public static Object boom(Map<String, Object> event) {
                throw new IllegalStateException("boom: " + event.get("why"));
            }
            public static String property(String name) {
                return System.getProperty(name);
            }
            public static String greet(String name) {
                return lib.Greeter.greet(name);
            }
        }""",
    "example/Events.java": """
        package example;
        import java.time.Instant;
        import java.util.List;
        // Shaped as aws-lambda-java-events' SQSEvent and ScheduledEvent: bean properties whose
        // names the events spell otherwise ("Records", "eventSourceARN", "detail-type").
        public class Events {
            public static class SQSEvent {
                private List<SQSMessage> records;
                public List<SQSMessage> getRecords() { return records; }
                public void setRecords(List<SQSMessage> records) { this.records = records; }
            }
            public static class SQSMessage {
                private String body;
                private String eventSourceArn;
                public String getBody() { return body; }
                public void setBody(String body) { this.body = body; }
                public String getEventSourceArn() { return eventSourceArn; }
                public void setEventSourceArn(String arn) { this.eventSourceArn = arn; }
            }
            public static class ScheduledEvent {
                private String detailType;
                private Instant time;
                public void setDetailType(String detailType) { this.detailType = detailType; }
                public void setTime(Instant time) { this.time = time; }
                public String describe() { return detailType + " at " + time.getEpochSecond(); }
            }
            public String sqs(SQSEvent event) {
                SQSMessage first = event.getRecords().get(0);
                return event.getRecords().size() + " " + first.getBody() + " " + first.getEventSourceArn();
            }
            public String scheduled(ScheduledEvent event) {
                return event.describe();
            }
        }""",
    "example/Footprint.java": """
        package example;
        import java.util.LinkedHashMap;
        import java.util.Map;
        public class Footprint {
            public static Map<String, Object> where(String ignored) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("pid", ProcessHandle.current().pid());
                out.put("userHome", System.getProperty("user.home"));
                out.put("home", System.getenv("HOME"));
                out.put("tmpdir", System.getProperty("java.io.tmpdir"));
                out.put("taskRoot", System.getenv("LAMBDA_TASK_ROOT"));
                return out;
            }
            public static String crash(String ignored) throws Exception {
                java.lang.reflect.Field field = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
                field.setAccessible(true);
                ((sun.misc.Unsafe) field.get(null)).putAddress(0, 0);
                return "survived";
            }
        }""",
    "example/CallOvercast.java": """
        package example;
        import java.net.URI;
        import java.net.http.HttpClient;
        import java.net.http.HttpRequest;
        import java.net.http.HttpResponse;
        import java.util.Map;
        public class CallOvercast {
            public static Map<String, Object> handle(Map<String, Object> event) throws Exception {
                String endpoint = System.getenv("AWS_ENDPOINT_URL");
                HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(endpoint + "/_overcast/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
                return Map.of("endpoint", endpoint, "status", response.statusCode(), "body", response.body());
            }
        }""",
}
LIBRARY = {"lib/Greeter.java": """
    package lib;
    public class Greeter {
        public static String greet(String name) { return "hello, " + name + " (from lib/greeter.jar)"; }
    }"""}


def _write(root: Path, files: dict[str, str]) -> list[str]:
    paths = []
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        paths.append(str(path))
    return paths


def _javac(classes: Path, sources: list[str], classpath: str | None = None) -> None:
    # Class files every Java 11+ runtime reads, whichever JDK runs each runtime here.
    command = [JAVAC, "--release", "11", "-nowarn", "-d", str(classes)]
    if classpath:
        command += ["-cp", classpath]
    subprocess.run(command + sources, check=True, capture_output=True)


@pytest.fixture(scope="module")
def function_jar(tmp_path_factory) -> bytes:
    """One fat jar (as `jar` builds it) with every test class, the stand-in core interfaces, and
    lib/greeter.jar inside it, as a Maven or Gradle build lays a deployment package out."""
    root = tmp_path_factory.mktemp("java-fn")
    sources = root / "src"
    core = {f"com/amazonaws/services/lambda/runtime/{name}.java":
            f"package com.amazonaws.services.lambda.runtime;\n{body}" for name, body in CORE.items()}
    lib_classes, classes, package = root / "lib-classes", root / "classes", root / "package"
    _javac(lib_classes, _write(sources, LIBRARY))
    (package / "lib").mkdir(parents=True)
    subprocess.run([JAR, "cf", str(package / "lib" / "greeter.jar"), "-C", str(lib_classes), "."], check=True)
    _javac(classes, _write(sources, {**core, **FUNCTIONS}), classpath=str(lib_classes))
    subprocess.run([JAR, "cf", str(root / "function.jar"), "-C", str(classes), ".", "-C", str(package), "lib"],
                   check=True)
    data = (root / "function.jar").read_bytes()
    shutil.rmtree(root, ignore_errors=True)
    return data


def create_java(lam, code: bytes, handler: str, runtime: str = "java17", **extra) -> str:
    name = unique("java")
    lam.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
                        Code={"ZipFile": code}, MemorySize=512, Timeout=30, **extra)
    return name


def tail_of(response) -> str:
    return base64.b64decode(response["LogResult"]).decode()


def test_request_handler_map_input_warm_reuse_and_logs(lam, function_jar):
    name = create_java(lam, function_jar, "example.MapHandler")
    response, body = invoke_json(lam, name, {"name": "ada", "n": 1}, LogType="Tail")
    assert "FunctionError" not in response, body
    assert body == "calls=1 name=ada n=Integer"
    tail = tail_of(response)
    assert "hello from java ada" in tail and "to stderr" in tail and "logger line" in tail
    assert "INIT_START Runtime Version: java17" in tail and "REPORT RequestId" in tail
    # The same environment serves the next call: the class's static state is still there.
    response, body = invoke_json(lam, name, {"name": "grace", "n": 12345678901}, LogType="Tail")
    assert body == "calls=2 name=grace n=Long"
    assert "INIT_START" not in tail_of(response)


def test_request_stream_handler(lam, function_jar):
    name = create_java(lam, function_jar, "example.Upper::handleRequest")
    response = lam.invoke(FunctionName=name, Payload=b'{"say": "hi"}')
    assert "FunctionError" not in response
    assert response["Payload"].read() == b'{"SAY": "HI"}'


def test_pojo_method_handler(lam, function_jar):
    name = create_java(lam, function_jar, "example.Orders::handle")
    event = {"id": "o-1", "quantity": 20, "items": [{"sku": "a", "price": 1.5}, {"sku": "b", "price": 2}],
             "unknown": True}
    response, body = invoke_json(lam, name, event)
    assert "FunctionError" not in response, body
    # Getters name the properties (isBulk is "bulk"); a null property is left out.
    assert body == {"orderId": "o-1", "total": 70.0, "bulk": True}


def test_event_classes_as_aws_lambda_java_events_spells_them(lam, function_jar):
    name = create_java(lam, function_jar, "example.Events::sqs")
    event = {"Records": [{"messageId": "m1", "body": "hi", "eventSourceARN": "arn:aws:sqs:us-east-1:0:q"},
                         {"messageId": "m2", "body": "there"}]}
    response, body = invoke_json(lam, name, event)
    assert "FunctionError" not in response, body
    assert body == "2 hi arn:aws:sqs:us-east-1:0:q"
    name = create_java(lam, function_jar, "example.Events::scheduled")
    _, body = invoke_json(lam, name, {"detail-type": "Scheduled Event", "time": "2026-01-02T03:04:05Z"})
    assert body == "Scheduled Event at 1767323045"


def test_context_fields(lam, function_jar):
    name = create_java(lam, function_jar, "example.Info::context")
    client_context = base64.b64encode(json.dumps({"custom": {"a": "b"}, "client": {"app_title": "t"},
                                                  "env": {}}).encode()).decode()
    response, body = invoke_json(lam, name, {}, ClientContext=client_context)
    assert "FunctionError" not in response, body
    assert body["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert body["functionName"] == name and body["functionVersion"] == "$LATEST"
    assert body["arn"].endswith(f":function:{name}")
    assert body["memory"] == 512 and 0 < body["remaining"] <= 30000
    assert body["logGroup"] == f"/aws/lambda/{name}"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", body["logStream"])
    assert body["clientCustom"] == {"a": "b"} and body["appTitle"] == "t"
    assert body["identity"] is None


def test_environment_variables(lam, function_jar):
    name = create_java(lam, function_jar, "example.Info::env", Environment={"Variables": {"GREETING": "hej"}})
    _, body = invoke_json(lam, name, "GREETING")
    assert body == "hej"
    _, body = invoke_json(lam, name, "AWS_LAMBDA_FUNCTION_NAME")
    assert body == name
    _, body = invoke_json(lam, name, "AWS_EXECUTION_ENV")
    assert body == "AWS_Lambda_java17"


def test_java_tool_options_reach_the_jvm(lam, function_jar):
    name = create_java(lam, function_jar, "example.Info::property",
                       Environment={"Variables": {"JAVA_TOOL_OPTIONS": "-Dgreeting=from-options"}})
    response, body = invoke_json(lam, name, "greeting", LogType="Tail")
    assert body == "from-options"
    assert "Picked up JAVA_TOOL_OPTIONS: -Dgreeting=from-options" in tail_of(response)


def test_thrown_exception_error_shape(lam, function_jar):
    name = create_java(lam, function_jar, "example.Info::boom")
    response, body = invoke_json(lam, name, {"why": "testing"}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "java.lang.IllegalStateException"
    assert body["errorMessage"] == "boom: testing"
    assert body["stackTrace"][0].startswith("example.Info.boom(Info.java:")
    assert not any("OvercastJavaRuntime" in frame for frame in body["stackTrace"])
    # Logged as AWS's runtime logs it: "message: type", then the trace, as one event.
    assert "boom: testing: java.lang.IllegalStateException\rjava.lang.IllegalStateException: boom: testing" in tail_of(response)
    # The environment lives on: the next call is served warm.
    response, body = invoke_json(lam, name, {"why": "again"}, LogType="Tail")
    assert body["errorMessage"] == "boom: again" and "INIT_START" not in tail_of(response)


def test_missing_handler_class(lam, function_jar):
    name = create_java(lam, function_jar, "example.Missing::handleRequest")
    response, body = invoke_json(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert body == {"errorMessage": "Class not found: example.Missing",
                    "errorType": "java.lang.ClassNotFoundException"}


def test_missing_handler_method(lam, function_jar):
    name = create_java(lam, function_jar, "example.Info::nothing")
    response, body = invoke_json(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert body == {"errorMessage": "No public method named nothing with appropriate method signature found "
                                    "on class example.Info"}


def test_class_file_too_new_is_an_init_error(lam, function_jar):
    """A class compiled for a newer Java than the runtime's fails with Java's own
    UnsupportedClassVersionError, reported as the environment's init error."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(function_jar)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "example/Upper.class":
                data = data[:6] + (99).to_bytes(2, "big") + data[8:]  # class file version 99
            target.writestr(item, data)
    name = create_java(lam, out.getvalue(), "example.Upper")
    response, body = invoke_json(lam, name, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "java.lang.UnsupportedClassVersionError"
    assert body["errorMessage"].startswith("Error loading class example.Upper: ")
    assert "class file version 99.0" in body["errorMessage"]
    assert "Status: error" in tail_of(response)


def test_lib_jars_are_on_the_classpath(lam, function_jar):
    name = create_java(lam, function_jar, "example.Info::greet")
    _, body = invoke_json(lam, name, "ada")
    assert body == "hello, ada (from lib/greeter.jar)"


def test_function_calls_overcast_through_aws_endpoint_url(lam, function_jar):
    name = create_java(lam, function_jar, "example.CallOvercast::handle", runtime="java21")
    response, body = invoke_json(lam, name, {}, LogType="Tail")
    assert "FunctionError" not in response, body
    assert body["status"] == 200 and body["endpoint"].startswith("http://")
    tail = tail_of(response)
    assert "INIT_START Runtime Version: java21" in tail
    from overcast.services.lambda_.runtime.java_runtime import find_jdk
    jdk, _ = find_jdk("java21")
    # Without a JDK 21 the closest one runs it, and the function's log says so.
    assert ("java21 is not installed on this machine" in tail) == (jdk.major != 21)



def test_layer_java_lib_jars_are_on_the_classpath(lam, function_jar):
    """A layer's java/lib/*.jar is on the classpath (AWS's /opt/java/lib)."""
    package, layer = io.BytesIO(), io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(function_jar)) as source, zipfile.ZipFile(package, "w") as code, \
            zipfile.ZipFile(layer, "w") as library:
        for item in source.infolist():
            if item.filename.startswith("lib/"):
                library.writestr("java/" + item.filename, source.read(item.filename))
            else:
                code.writestr(item, source.read(item.filename))
    arn = lam.publish_layer_version(LayerName=unique("greeter"), Content={"ZipFile": layer.getvalue()},
                                    CompatibleRuntimes=["java17"])["LayerVersionArn"]
    name = create_java(lam, package.getvalue(), "example.Info::greet", Layers=[arn])
    response, body = invoke_json(lam, name, "lin")
    assert "FunctionError" not in response, body
    assert body == "hello, lin (from lib/greeter.jar)"


def _javac_major() -> int:
    out = subprocess.run([JAVAC, "-version"], capture_output=True, text=True)
    match = re.search(r"javac (\d+)", out.stdout + out.stderr)
    return int(match.group(1)) if match else 0


@pytest.mark.skipif(JAVAC is None or _javac_major() < 17, reason="records need javac 17 or later")
def test_record_input_and_output(lam, tmp_path):
    """Records in and out, as the developer guide's Java 17 handler example takes them."""
    source = tmp_path / "src" / "example" / "Points.java"
    source.parent.mkdir(parents=True)
    source.write_text("""
        package example;
        public class Points {
            public record Point(int x, int y, String label) {}
            public record Sum(long total, String label) {}
            public Sum add(Point p) { return new Sum((long) p.x() + p.y(), p.label()); }
        }""")
    classes = tmp_path / "classes"
    subprocess.run([JAVAC, "--release", "17", "-d", str(classes), str(source)], check=True, capture_output=True)
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        for path in classes.rglob("*.class"):
            archive.write(path, path.relative_to(classes).as_posix())
    name = create_java(lam, code.getvalue(), "example.Points::add")
    response, body = invoke_json(lam, name, {"x": 2, "y": 40, "label": "answer"})
    assert "FunctionError" not in response, body
    assert body == {"total": 42, "label": "answer"}


def test_jvm_writes_nothing_outside_its_environment(lam, function_jar):
    """The JVM keeps to the environment: user.home is HOME (not the server user's home, where
    SDKs would find ~/.aws), no perf data in the machine's /tmp (HotSpot's /tmp/hsperfdata_<user>,
    whatever TMPDIR says), and a crash's report in the function's log, as AWS's
    -XX:+ErrorFileToStderr puts it, rather than an hs_err file in the function's code."""
    name = create_java(lam, function_jar, "example.Footprint::where")
    _, body = invoke_json(lam, name, "x")
    assert body["userHome"] == body["home"] == body["tmpdir"]
    assert glob.glob(f"/tmp/hsperfdata_*/{body['pid']}") == []
    task_root = Path(body["taskRoot"])
    name = create_java(lam, function_jar, "example.Footprint::crash")
    response, body = invoke_json(lam, name, "x", LogType="Tail")
    assert response["FunctionError"] == "Unhandled" and body["errorType"] == "Runtime.ExitError"
    tail = tail_of(response)
    assert "END." in tail and "hs_err_pid" not in tail  # the whole report, in the log
    assert list(task_root.glob("hs_err_pid*")) == []
