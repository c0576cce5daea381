// Fixture for server/manyeyes/agents/analyzers/rules/java.yaml (semgrep --test). Deliberately vulnerable.
import java.io.*;
import java.net.URL;
import java.security.MessageDigest;
import java.nio.file.*;
import java.sql.*;
import javax.servlet.http.*;

public class Handlers extends HttpServlet {
    protected void ping(HttpServletRequest request, HttpServletResponse response) throws Exception {
        // ruleid: java-request-data
        String host = request.getParameter("host");
        // ruleid: java-command-injection
        Runtime.getRuntime().exec("ping -c 1 " + host);
        // ok: java-command-injection
        Runtime.getRuntime().exec("uptime");
    }

    protected void user(HttpServletRequest request, Connection connection) throws Exception {
        // ruleid: java-request-data
        String id = request.getParameter("id");
        Statement statement = connection.createStatement();
        // ruleid: java-sql-injection
        statement.executeQuery("SELECT * FROM users WHERE id = '" + id + "'");
        // ok: java-sql-injection
        statement.executeQuery("SELECT * FROM users WHERE id = " + Integer.parseInt(id));
        // ok: java-sql-injection
        PreparedStatement prepared = connection.prepareStatement("SELECT * FROM users WHERE id = ?");
    }

    protected void download(HttpServletRequest request) throws Exception {
        // ruleid: java-request-data
        String name = request.getParameter("file");
        // ruleid: java-path-traversal
        FileInputStream in = new FileInputStream("/var/files/" + name);
        // ok: java-path-traversal
        FileInputStream fixed = new FileInputStream("/var/files/report.pdf");
    }

    protected void greet(HttpServletRequest request, HttpServletResponse response) throws Exception {
        // ruleid: java-request-data
        String name = request.getParameter("name");
        // ruleid: java-xss
        response.getWriter().println("Hello " + name);
        // ok: java-xss
        response.getWriter().println("Hello " + Encode.forHtml(name));
    }

    protected void next(HttpServletRequest request, HttpServletResponse response) throws Exception {
        // ruleid: java-open-redirect, java-request-data
        response.sendRedirect(request.getParameter("next"));
        // ok: java-open-redirect
        response.sendRedirect("/home");
    }

    protected void restore(HttpServletRequest request) throws Exception {
        // ruleid: java-deserialization, java-request-data
        ObjectInputStream objects = new ObjectInputStream(request.getInputStream());
        // ok: java-deserialization
        ObjectInputStream local = new ObjectInputStream(new FileInputStream("/var/cache/state.bin"));
    }
}

@RestController
class Api {
    @GetMapping("/run")
    public String run(@RequestParam String cmd) throws Exception {
        // ruleid: java-command-injection, java-command-from-parameter, java-request-data
        new ProcessBuilder("sh", "-c", cmd).start();
        return "ok";
    }
}

class Helpers {
    static java.util.List<String> rows(Connection connection, String name) throws Exception {
        Statement statement = connection.createStatement();
        String query = "SELECT * FROM users WHERE name = '" + name + "'";
        // ruleid: java-sql-from-parameter
        statement.executeQuery(query);
        // ok: java-sql-from-parameter
        statement.executeQuery("SELECT count(*) FROM users");
        return null;
    }

    static void say(String words) throws Exception {
        ProcessBuilder builder = new ProcessBuilder();
        // ruleid: java-command-from-parameter
        builder.command("bash", "-c", "cowsay '" + words + "'");
        // ok: java-command-from-parameter
        builder.command("cowsay", "hello");
    }

    static void digest(String password) throws Exception {
        // ruleid: java-weak-hash
        MessageDigest.getInstance("MD5");
        // ok: java-weak-hash
        MessageDigest.getInstance("SHA-256");
    }
}

class Fetcher extends HttpServlet {
    protected void fetch(HttpServletRequest request) throws Exception {
        // ruleid: java-request-data
        String target = request.getParameter("url");
        // ruleid: java-ssrf
        new URL(target).openStream();
        // ok: java-ssrf
        new URL("https://example.org/status").openStream();
    }
}
