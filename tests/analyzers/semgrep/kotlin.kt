// Fixture for server/manyeyes/agents/analyzers/rules/kotlin.yaml (semgrep --test). Deliberately vulnerable.
package demo

import java.io.File
import java.io.ObjectInputStream
import java.net.URL
import java.security.MessageDigest
import javax.servlet.http.HttpServletRequest
import javax.servlet.http.HttpServletResponse
import org.springframework.jdbc.core.JdbcTemplate
import org.springframework.web.bind.annotation.*
import org.springframework.web.util.HtmlUtils

@RestController
class ShopController(private val jdbc: JdbcTemplate) {
    @GetMapping("/run")
    fun run(@RequestParam host: String): String {
        // ruleid: kotlin-command-injection, kotlin-request-data
        Runtime.getRuntime().exec("ping -c 1 " + host)
        // ok: kotlin-command-injection
        Runtime.getRuntime().exec("uptime")
        return "ok"
    }

    @GetMapping("/user")
    fun user(request: HttpServletRequest): List<Map<String, Any>> {
        // ruleid: kotlin-request-data
        val name = request.getParameter("name")
        // safe look-alike for kotlin-sql-injection (no report of it here):
        val safe = jdbc.queryForList("SELECT * FROM users WHERE name = ?", name)
        // ruleid: kotlin-sql-injection
        return jdbc.queryForList("SELECT * FROM users WHERE name = '$name'") + safe
    }

    @GetMapping("/file/{name}")
    // ruleid: kotlin-path-traversal, kotlin-request-data
    fun file(@PathVariable name: String): String = File("/srv/files/" + name).readText()

    @GetMapping("/file-safe/{name}")
    // ruleid: kotlin-request-data
    fun fileSafe(@PathVariable name: String): String = File("/srv/files", File(name).name).readText()

    @GetMapping("/fetch")
    // ruleid: kotlin-ssrf, kotlin-request-data
    fun fetch(@RequestParam url: String): String = URL(url).readText()

    @GetMapping("/hello")
    fun hello(@RequestParam who: String, response: HttpServletResponse) {
        // ruleid: kotlin-xss, kotlin-request-data
        response.writer.write("<p>Hello $who</p>")
        // safe look-alike for kotlin-xss (no report of it here):
        // ruleid: kotlin-request-data
        response.writer.write("<p>Hello " + HtmlUtils.htmlEscape(who) + "</p>")
    }

    @GetMapping("/next")
    fun next(@RequestParam to: String, response: HttpServletResponse) {
        // ruleid: kotlin-open-redirect, kotlin-request-data
        response.sendRedirect(to)
        // ok: kotlin-open-redirect
        response.sendRedirect("/home")
    }

    @PostMapping("/restore")
    fun restore(request: HttpServletRequest): Any {
        // ruleid: kotlin-deserialization, kotlin-request-data
        return ObjectInputStream(request.getInputStream()).readObject()
    }

    fun hash(password: String): ByteArray {
        // ok: kotlin-weak-hash
        MessageDigest.getInstance("SHA-256")
        // ruleid: kotlin-weak-hash
        return MessageDigest.getInstance("MD5").digest(password.toByteArray())
    }
}

fun Application.module() {
    routing {
        get("/k") {
            // ruleid: kotlin-request-data
            val cmd = call.parameters["cmd"]
            // ruleid: kotlin-command-injection
            Runtime.getRuntime().exec(cmd)
            // ruleid: kotlin-request-data
            val count = call.parameters["n"]?.toInt() ?: 0
            // ok: kotlin-command-injection
            Runtime.getRuntime().exec("sleep " + count)
        }
    }
}

class Helper {
    fun run(cmd: String) {
        // ok: kotlin-command-injection
        Runtime.getRuntime().exec(cmd)
    }
}
