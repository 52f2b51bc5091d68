/*
 * Overcast's Java runtime client: loads the handler and serves invocations over the Runtime API.
 *
 * It runs inside function processes under whichever JDK the runtime maps to, so it uses only the
 * JDK and stays compatible with Java 8 (no var, no java.net.http). The server compiles it, with
 * OvercastJavaRuntimeContext, -Types and -Json beside it, once per JDK (java_runtime.py). Its
 * classes are in the unnamed package under names no function would use: a function's own
 * classes are loaded by a child of the loader that loaded these. The function's classes are loaded as AWS's Java runtime loads them:
 * the task root, then lib/*.jar, then the layers' java/lib/*.jar, each directory's jars in
 * lexical order. aws-lambda-java-core (RequestHandler, RequestStreamHandler, Context, ...) comes
 * from the function's own jar, so it is only ever reached by name, through reflection.
 * Errors are shaped as AWS's Java runtime shapes them ({errorMessage, errorType, stackTrace}).
 */

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.net.Socket;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Set;

public final class OvercastJavaRuntime {
    static final String CORE = "com.amazonaws.services.lambda.runtime.";
    static final String SELF = "OvercastJavaRuntime";

    static ClassLoader loader;
    static Class<?> contextType;
    static Class<?> loggerType;
    static PrintStream out;
    static Object logger;

    public static void main(String[] args) throws Exception {
        out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 8192), true, "UTF-8");
        System.setOut(out);
        System.setErr(new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.err), 8192), true, "UTF-8"));
        Api api;
        try {
            api = new Api(System.getenv("AWS_LAMBDA_RUNTIME_API"));
        } catch (IOException e) {
            System.exit(1);
            return;
        }
        String handler = System.getenv("_HANDLER");
        if (handler == null) {
            handler = "";
        }
        String taskRoot = System.getProperty("user.dir");
        List<URL> urls = new ArrayList<URL>();
        urls.add(new File(taskRoot).toURI().toURL());
        addJars(new File(taskRoot, "lib"), urls);
        for (String layerRoot : args) {
            addJars(new File(new File(layerRoot, "java"), "lib"), urls);
        }
        loader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getSystemClassLoader());
        Thread.currentThread().setContextClassLoader(loader);
        contextType = optionalClass(CORE + "Context");
        loggerType = optionalClass(CORE + "LambdaLogger");
        if (loggerType != null) {
            logger = Proxy.newProxyInstance(loader, new Class<?>[] {loggerType}, new OvercastJavaRuntimeContext.Logger());
            installRuntimeLogger();
        }

        Handler target;
        try {
            target = Handler.load(handler);
        } catch (Fault fault) {
            // A fatal fault (the class's static initialiser or constructor threw, its class file
            // is too new): reported as the environment's init error, then the runtime ends.
            fault.log();
            flushOutput();
            api.initError(fault.document(false), "Runtime.BadFunctionCode");
            System.exit(1);
            return;
        }

        Response next = api.next();
        while (true) {
            Invocation inv = new Invocation(next);
            String traceId = inv.header("lambda-runtime-trace-id");
            if (traceId != null) {
                System.setProperty("com.amazonaws.xray.traceHeader", traceId);
            } else {
                System.clearProperty("com.amazonaws.xray.traceHeader");
            }
            byte[] result = null;
            Fault fault = null;
            try {
                result = target.call(inv);
            } catch (Fault f) {
                fault = f;
            } catch (Throwable t) {
                fault = Fault.of(t, target.direct);
            }
            if (fault != null) {
                fault.log();
            }
            flushOutput();
            if (fault != null) {
                next = api.errorThenNext(inv.requestId, fault.document(true), fault.headerType());
                if (fault.fatal) {
                    System.exit(1);
                }
            } else {
                next = api.respondThenNext(inv.requestId, result);
            }
        }
    }

    static void flushOutput() {
        System.out.flush();
        System.err.flush();
        out.flush();
    }

    static void addJars(File dir, List<URL> urls) throws IOException {
        String[] names = dir.list();
        if (names == null) {
            return;
        }
        Arrays.sort(names);
        for (String name : names) {
            if (name.endsWith(".jar")) {
                urls.add(new File(dir, name).toURI().toURL());
            }
        }
    }

    static Class<?> optionalClass(String name) {
        try {
            return Class.forName(name, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
    }

    /** LambdaRuntime.getLogger() answers the same logger as Context.getLogger(), as on AWS. */
    static void installRuntimeLogger() {
        Class<?> runtime = optionalClass(CORE + "LambdaRuntime");
        if (runtime == null) {
            return;
        }
        try {
            Field field = runtime.getDeclaredField("logger");
            if (Modifier.isStatic(field.getModifiers()) && !Modifier.isFinal(field.getModifiers())) {
                field.setAccessible(true);
                field.set(null, logger);
            }
        } catch (Exception | LinkageError e) {
            // an aws-lambda-java-core without that field: its own logger prints to stdout anyway
        }
    }

    /** One log event: the lines of a message stay together (as AWS's framed log sink keeps them). */
    static void logEvent(String message) {
        String text = message;
        while (text.endsWith("\n")) {
            text = text.substring(0, text.length() - 1);
        }
        out.print(text.replace("\r\n", "\r").replace('\n', '\r') + "\n");
        out.flush();
    }

    // -- the Runtime API --------------------------------------------------------------------------

    static final class Response {
        int status;
        Map<String, String> headers = new HashMap<String, String>();
        byte[] body;
    }

    /** HTTP/1.1 over one kept-alive connection; an answer and the next /next go out in one write. */
    static final class Api {
        final String address;
        final Socket socket;
        final InputStream in;
        final OutputStream sink;

        Api(String address) throws IOException {
            if (address == null) {
                throw new IOException("AWS_LAMBDA_RUNTIME_API is not set");
            }
            this.address = address;
            int colon = address.lastIndexOf(':');
            String host = colon < 0 ? address : address.substring(0, colon);
            int port = colon < 0 ? 80 : Integer.parseInt(address.substring(colon + 1));
            socket = new Socket(host, port);
            socket.setTcpNoDelay(true);
            in = new BufferedInputStream(socket.getInputStream(), 65536);
            sink = socket.getOutputStream();
        }

        byte[] request(String method, String path, byte[] body, String errorType) {
            StringBuilder head = new StringBuilder();
            head.append(method).append(" /2018-06-01/runtime/").append(path).append(" HTTP/1.1\r\nHost: ")
                .append(address).append("\r\n");
            if (body != null) {
                head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
            }
            if (errorType != null) {
                head.append("Lambda-Runtime-Function-Error-Type: ").append(errorType).append("\r\n");
            }
            head.append("\r\n");
            byte[] start = head.toString().getBytes(StandardCharsets.ISO_8859_1);
            if (body == null) {
                return start;
            }
            byte[] all = Arrays.copyOf(start, start.length + body.length);
            System.arraycopy(body, 0, all, start.length, body.length);
            return all;
        }

        Response next() throws IOException {
            send(request("GET", "invocation/next", null, null));
            return read();
        }

        Response respondThenNext(String id, byte[] body) throws IOException {
            return thenNext(request("POST", "invocation/" + id + "/response", body, null));
        }

        Response errorThenNext(String id, byte[] doc, String errorType) throws IOException {
            return thenNext(request("POST", "invocation/" + id + "/error", doc, errorType));
        }

        void initError(byte[] doc, String errorType) throws IOException {
            send(request("POST", "init/error", doc, errorType));
            read();
        }

        Response thenNext(byte[] post) throws IOException {
            byte[] get = request("GET", "invocation/next", null, null);
            byte[] both = Arrays.copyOf(post, post.length + get.length);
            System.arraycopy(get, 0, both, post.length, get.length);
            send(both);
            read(); // 202, or 413 for a response too large (the server reports that error itself)
            return read();
        }

        void send(byte[] bytes) throws IOException {
            try {
                sink.write(bytes);
                sink.flush();
            } catch (IOException e) {
                gone();
            }
        }

        Response read() throws IOException {
            Response response = new Response();
            String status = line();
            int space = status.indexOf(' ');
            response.status = Integer.parseInt(status.substring(space + 1, space + 4));
            while (true) {
                String header = line();
                if (header.isEmpty()) {
                    break;
                }
                int colon = header.indexOf(':');
                if (colon > 0) {
                    response.headers.put(header.substring(0, colon).trim().toLowerCase(), header.substring(colon + 1).trim());
                }
            }
            String length = response.headers.get("content-length");
            int size = length == null ? 0 : Integer.parseInt(length);
            byte[] body = new byte[size];
            int done = 0;
            while (done < size) {
                int n = in.read(body, done, size - done);
                if (n < 0) {
                    gone();
                }
                done += n;
            }
            response.body = body;
            return response;
        }

        String line() throws IOException {
            StringBuilder text = new StringBuilder();
            while (true) {
                int c = in.read();
                if (c < 0) {
                    gone();
                }
                if (c == '\n') {
                    break;
                }
                if (c != '\r') {
                    text.append((char) c);
                }
            }
            return text.toString();
        }

        /** The server went away (or closed this environment): nothing is left to do. */
        static void gone() {
            flushOutput();
            System.exit(0);
        }
    }

    static final class Invocation {
        final Response response;
        final String requestId;
        final long deadlineMs;

        Invocation(Response response) {
            this.response = response;
            this.requestId = header("lambda-runtime-aws-request-id");
            String deadline = header("lambda-runtime-deadline-ms");
            long ms = 0;
            try {
                ms = deadline == null ? 0 : Long.parseLong(deadline);
            } catch (NumberFormatException e) {
                ms = 0;
            }
            this.deadlineMs = ms;
        }

        String header(String name) {
            return response.headers.get(name);
        }
    }

    // -- errors -----------------------------------------------------------------------------------

    /** An error as AWS's Java runtime reports it: a message, the exception's class and its trace. */
    static final class Fault extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String msg;
        final String type;
        final String trace;
        final List<String> frames;
        final boolean fatal;

        Fault(String msg, String type, String trace, List<String> frames, boolean fatal) {
            super(msg, null, false, false);
            this.msg = msg;
            this.type = type;
            this.trace = trace;
            this.frames = frames;
            this.fatal = fatal;
        }

        /** A fault the runtime words itself (no exception class, no trace). */
        static Fault message(String msg) {
            return new Fault(msg, null, null, null, false);
        }

        static Fault of(Throwable t, boolean direct) {
            filter(t, direct);
            String msg = t.getLocalizedMessage() == null ? t.getClass().getName() : t.getLocalizedMessage();
            List<String> frames = new ArrayList<String>();
            for (StackTraceElement element : t.getStackTrace()) {
                frames.add(element.toString());
            }
            return new Fault(msg, t.getClass().getName(), traceOf(t), frames, t instanceof VirtualMachineError);
        }

        static Fault loading(Throwable t, String msg, boolean fatal) {
            filter(t, false);
            return new Fault(msg, t.getClass().getName(), traceOf(t), null, fatal);
        }

        static String traceOf(Throwable t) {
            StringWriter text = new StringWriter();
            t.printStackTrace(new PrintWriter(text));
            return text.toString();
        }

        static void filter(Throwable t, boolean direct) {
            filter(t, direct, Collections.newSetFromMap(new IdentityHashMap<Throwable, Boolean>()));
        }

        /** Our own frames are cut from the trace; so are the reflective calls into the handler
         * when AWS's runtime calls it directly (a RequestHandler or RequestStreamHandler). */
        static void filter(Throwable t, boolean direct, Set<Throwable> seen) {
            if (t == null || !seen.add(t)) {
                return;
            }
            StackTraceElement[] trace = t.getStackTrace();
            int end = trace.length;
            for (int i = 0; i < trace.length; i++) {
                if (trace[i].getClassName().startsWith(SELF)) {
                    end = i;
                    break;
                }
            }
            if (direct) {
                while (end > 0 && reflective(trace[end - 1].getClassName())) {
                    end--;
                }
            }
            if (end != trace.length) {
                t.setStackTrace(Arrays.copyOf(trace, end));
            }
            filter(t.getCause(), direct, seen);
            for (Throwable suppressed : t.getSuppressed()) {
                filter(suppressed, direct, seen);
            }
        }

        static boolean reflective(String name) {
            return name.startsWith("jdk.internal.reflect.") || name.startsWith("sun.reflect.")
                || name.equals("java.lang.reflect.Method") || name.startsWith("java.lang.invoke.");
        }

        byte[] document(boolean withTrace) {
            Map<String, Object> doc = new LinkedHashMap<String, Object>();
            doc.put("errorMessage", msg);
            if (type != null) {
                doc.put("errorType", type);
            }
            if (withTrace && frames != null) {
                doc.put("stackTrace", frames);
            }
            return OvercastJavaRuntimeJson.write(doc).getBytes(StandardCharsets.UTF_8);
        }

        String headerType() {
            return type != null ? type : "Runtime.BadFunctionCode";
        }

        /** As AWS's runtime logs it: "message: type", then the printed stack trace. */
        void log() {
            if (type != null || trace != null) {
                logEvent(msg + ": " + (type == null ? "" : type) + "\n" + (trace == null ? "" : trace));
            } else {
                logEvent(msg);
            }
        }
    }

    // -- handlers ---------------------------------------------------------------------------------

    abstract static class Handler {
        /** Whether the runtime calls the user's code directly (an interface) or a method by reflection. */
        boolean direct;

        abstract byte[] call(Invocation inv) throws Throwable;

        static Handler load(String handler) {
            int colons = handler.lastIndexOf("::");
            String className = colons < 0 ? handler : handler.substring(0, colons);
            String methodName = colons < 0 ? null : handler.substring(colons + 2);
            if (className.isEmpty() || (methodName != null && methodName.isEmpty())) {
                return new Failing(Fault.message("Invalid handler: `" + handler + "'"));
            }
            Class<?> cls;
            try {
                cls = Class.forName(className, true, loader);
            } catch (ClassNotFoundException e) {
                return new Failing(Fault.loading(e, "Class not found: " + className, false));
            } catch (NoClassDefFoundError e) {
                return new Failing(Fault.loading(e, errorLoading(className, e), false));
            } catch (Throwable t) {
                // The class's static initialiser threw, or its class file is too new for this JVM.
                throw Fault.loading(t, errorLoading(className, t), true);
            }
            return methodName == null ? forInterface(cls) : forMethod(cls, methodName);
        }

        static String errorLoading(String className, Throwable t) {
            return "Error loading class " + className + (t.getMessage() == null ? "" : ": " + t.getMessage());
        }

        static Handler forInterface(Class<?> cls) {
            Class<?> streamType = optionalClass(CORE + "RequestStreamHandler");
            Class<?> requestType = optionalClass(CORE + "RequestHandler");
            try {
                if (streamType != null && streamType.isAssignableFrom(cls)) {
                    Method method = streamType.getMethod("handleRequest", InputStream.class, OutputStream.class, contextType);
                    return new StreamCall(create(cls), method, true, true, true).directly();
                }
                if (requestType != null && requestType.isAssignableFrom(cls)) {
                    Type[] types = interfaceParameters(cls, requestType);
                    if (types == null) {
                        return new Failing(Fault.message("Class " + cls.getName()
                            + " does not implement RequestHandler with concrete type parameters"));
                    }
                    Method method = requestType.getMethod("handleRequest", Object.class, contextType);
                    return new PojoCall(create(cls), method, types[0], types[1], true, true).directly();
                }
            } catch (Fault f) {
                if (f.fatal) {
                    throw f;
                }
                return new Failing(f);
            } catch (Exception e) {
                return new Failing(Fault.of(e, true));
            }
            return new Failing(Fault.message("Class does not implement an appropriate handler interface: " + cls.getName()));
        }

        /** The class's instance, made with its public no-argument constructor. */
        static Object create(Class<?> cls) {
            Constructor<?> constructor;
            try {
                constructor = cls.getConstructor();
            } catch (NoSuchMethodException e) {
                if (cls.getEnclosingClass() != null && !Modifier.isStatic(cls.getModifiers())) {
                    throw Fault.message("Class " + cls.getName() + " cannot be instantiated because it is a non-static inner class");
                }
                throw Fault.of(new Exception("Class " + cls.getName() + " has no public zero-argument constructor", e), true);
            }
            try {
                return constructor.newInstance();
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                Fault fault = Fault.of(cause, false);
                throw new Fault(fault.msg, fault.type, fault.trace, fault.frames, true);
            } catch (Exception e) {
                throw Fault.of(e, false);
            }
        }

        /** The type arguments the class gives `iface` (a breadth-first search up its hierarchy). */
        static Type[] interfaceParameters(Class<?> cls, Class<?> iface) {
            LinkedList<Type> queue = new LinkedList<Type>();
            queue.add(cls);
            Map<TypeVariable<?>, Type> bindings = new HashMap<TypeVariable<?>, Type>();
            while (!queue.isEmpty()) {
                Type current = queue.removeFirst();
                Class<?> raw = OvercastJavaRuntimeTypes.raw(current);
                if (raw == null) {
                    continue;
                }
                if (current instanceof ParameterizedType) {
                    Type[] actual = ((ParameterizedType) current).getActualTypeArguments();
                    TypeVariable<?>[] vars = raw.getTypeParameters();
                    for (int i = 0; i < vars.length && i < actual.length; i++) {
                        Type bound = actual[i];
                        if (bound instanceof TypeVariable && bindings.containsKey(bound)) {
                            bound = bindings.get(bound);
                        }
                        bindings.put(vars[i], bound);
                    }
                    if (raw == iface) {
                        Type[] resolved = new Type[vars.length];
                        for (int i = 0; i < vars.length; i++) {
                            resolved[i] = bindings.get(vars[i]);
                        }
                        return resolved;
                    }
                }
                for (Type next : raw.getGenericInterfaces()) {
                    queue.add(next);
                }
                if (raw.getGenericSuperclass() != null) {
                    queue.add(raw.getGenericSuperclass());
                }
            }
            return null;
        }

        static boolean isContext(Type t) {
            return contextType != null && contextType.equals(t);
        }

        static int weight(Method m) {
            Class<?>[] params = m.getParameterTypes();
            return params.length + (params.length > 0 && isContext(params[params.length - 1]) ? 1 : 0);
        }

        /** The public method by that name whose signature AWS's runtime accepts, longest first. */
        static Handler forMethod(Class<?> cls, String name) {
            Method[] all;
            try {
                all = cls.getMethods();
            } catch (NoClassDefFoundError e) {
                return new Failing(Fault.loading(e, "Error loading method " + name + " on class " + cls.getName(), false));
            }
            List<Method> methods = new ArrayList<Method>();
            for (Method m : all) {
                if (m.getName().equals(name)) {
                    methods.add(m);
                }
            }
            Collections.sort(methods, new Comparator<Method>() {
                public int compare(Method a, Method b) {
                    if (a.isBridge() != b.isBridge()) {
                        return a.isBridge() ? 1 : -1;
                    }
                    return Integer.compare(weight(b), weight(a));
                }
            });
            for (Method m : methods) {
                Type[] p = m.getGenericParameterTypes();
                Type r = m.getGenericReturnType();
                try {
                    Handler found = overload(cls, m, p, r);
                    if (found != null) {
                        return found;
                    }
                } catch (Fault f) {
                    if (f.fatal) {
                        throw f;
                    }
                    return new Failing(f);
                }
            }
            return new Failing(Fault.message("No public method named " + name
                + " with appropriate method signature found on class " + cls.getName()));
        }

        static Handler overload(Class<?> cls, Method m, Type[] p, Type r) {
            boolean needsInstance = !Modifier.isStatic(m.getModifiers());
            if (p.length == 0) {
                return new PojoCall(instance(cls, needsInstance), m, null, r, false, false);
            }
            if (p.length == 1) {
                if (InputStream.class.equals(p[0])) {
                    return new StreamCall(instance(cls, needsInstance), m, true, false, false);
                }
                if (OutputStream.class.equals(p[0])) {
                    return new StreamCall(instance(cls, needsInstance), m, false, true, false);
                }
                if (isContext(p[0])) {
                    return new PojoCall(instance(cls, needsInstance), m, null, r, true, false);
                }
                return new PojoCall(instance(cls, needsInstance), m, p[0], r, false, true);
            }
            if (p.length == 2) {
                if (OutputStream.class.equals(p[0])) {
                    return isContext(p[1]) ? new StreamCall(instance(cls, needsInstance), m, false, true, true) : null;
                }
                if (isContext(p[0])) {
                    return null;
                }
                if (InputStream.class.equals(p[0])) {
                    if (OutputStream.class.equals(p[1])) {
                        return new StreamCall(instance(cls, needsInstance), m, true, true, false);
                    }
                    return isContext(p[1]) ? new StreamCall(instance(cls, needsInstance), m, true, false, true) : null;
                }
                return isContext(p[1]) ? new PojoCall(instance(cls, needsInstance), m, p[0], r, true, true) : null;
            }
            if (p.length == 3 && InputStream.class.equals(p[0]) && OutputStream.class.equals(p[1]) && isContext(p[2])) {
                return new StreamCall(instance(cls, needsInstance), m, true, true, true);
            }
            return null;
        }

        static Object instance(Class<?> cls, boolean needed) {
            return needed ? create(cls) : null;
        }

        Handler directly() {
            direct = true;
            return this;
        }

        static Object invoke(Method m, Object target, Object[] args) throws Throwable {
            OvercastJavaRuntimeTypes.accessible(m);
            try {
                return m.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause() == null ? e : e.getCause();
            }
        }
    }

    /** A handler that cannot run: every invocation answers its fault (as AWS's runtime does). */
    static final class Failing extends Handler {
        final Fault fault;

        Failing(Fault fault) {
            this.fault = fault;
        }

        byte[] call(Invocation inv) {
            throw fault;
        }
    }

    static final class StreamCall extends Handler {
        final Object target;
        final Method method;
        final boolean input;
        final boolean output;
        final boolean context;

        StreamCall(Object target, Method method, boolean input, boolean output, boolean context) {
            this.target = target;
            this.method = method;
            this.input = input;
            this.output = output;
            this.context = context;
        }

        byte[] call(Invocation inv) throws Throwable {
            ByteArrayOutputStream result = new ByteArrayOutputStream(1024);
            List<Object> args = new ArrayList<Object>(3);
            if (input) {
                args.add(new ByteArrayInputStream(inv.response.body));
            }
            if (output) {
                args.add(result);
            }
            if (context) {
                args.add(OvercastJavaRuntimeContext.of(inv));
            }
            invoke(method, target, args.toArray());
            return result.toByteArray();
        }
    }

    static final class PojoCall extends Handler {
        final Object target;
        final Method method;
        final Type input;
        final Type output;
        final boolean context;
        final boolean takesInput;

        PojoCall(Object target, Method method, Type input, Type output, boolean context, boolean takesInput) {
            this.target = target;
            this.method = method;
            this.input = input;
            this.output = output;
            this.context = context;
            this.takesInput = takesInput;
        }

        byte[] call(Invocation inv) throws Throwable {
            Object event = null;
            if (input != null) {
                try {
                    event = OvercastJavaRuntimeTypes.convert(OvercastJavaRuntimeJson.parse(new String(inv.response.body, StandardCharsets.UTF_8)), input);
                } catch (Throwable t) {
                    Fault.filter(t, false);
                    throw new RuntimeException("An error occurred during JSON parsing", t);
                }
            }
            List<Object> args = new ArrayList<Object>(2);
            if (takesInput) {
                args.add(event);
            }
            if (context) {
                args.add(OvercastJavaRuntimeContext.of(inv));
            }
            Object result = invoke(method, target, args.toArray());
            if (OvercastJavaRuntimeTypes.isVoid(output)) {
                return "null".getBytes(StandardCharsets.UTF_8);
            }
            try {
                return OvercastJavaRuntimeJson.write(result).getBytes(StandardCharsets.UTF_8);
            } catch (Throwable t) {
                throw new RuntimeException("An error occurred during JSON serialization of response", t);
            }
        }
    }
}
