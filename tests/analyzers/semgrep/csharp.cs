// Fixture for server/manyeyes/agents/analyzers/rules/csharp.yaml (semgrep --test). Deliberately vulnerable.
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Runtime.Serialization.Formatters.Binary;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Data.SqlClient;

public class ToolsController : Controller
{
    public IActionResult Ping(string host)
    {
        // ruleid: csharp-command-injection, csharp-request-data
        Process.Start("ping", "-c 1 " + host);
        // ok: csharp-command-injection
        Process.Start("uptime");
        return Ok();
    }

    public IActionResult User(SqlConnection connection)
    {
        // ruleid: csharp-request-data
        var name = Request.Query["name"];
        // ruleid: csharp-sql-injection
        var command = new SqlCommand("SELECT * FROM users WHERE name = '" + name + "'", connection);
        // ok: csharp-sql-injection
        var safe = new SqlCommand("SELECT * FROM users WHERE name = @name", connection);
        safe.Parameters.AddWithValue("@name", name);
        return Ok();
    }

    public IActionResult Download(string file)
    {
        // ruleid: csharp-path-traversal, csharp-request-data
        var text = System.IO.File.ReadAllText(Path.Combine("/srv/files", file));
        // safe look-alike for csharp-path-traversal (no report of it here):
        // ruleid: csharp-request-data
        var kept = System.IO.File.ReadAllText(Path.Combine("/srv/files", Path.GetFileName(file)));
        return Ok(text + kept);
    }

    public IActionResult Greet(string who)
    {
        // ruleid: csharp-xss, csharp-request-data
        var page = Content("<p>Hello " + who + "</p>", "text/html");
        // safe look-alike for csharp-xss (no report of it here):
        // ruleid: csharp-request-data
        return Content("<p>Hello " + HtmlEncoder.Default.Encode(who) + "</p>", "text/html");
    }

    public IActionResult Back(string next)
    {
        // safe look-alike for csharp-open-redirect (no report of it here):
        // ruleid: csharp-request-data
        LocalRedirect(next);
        // ruleid: csharp-open-redirect, csharp-request-data
        return Redirect(next);
    }

    public IActionResult Restore()
    {
        var formatter = new BinaryFormatter();
        // ruleid: csharp-request-data
        var body = Request.Body;
        // ruleid: csharp-deserialization
        var state = formatter.Deserialize(body);
        return Ok(state);
    }

    public async System.Threading.Tasks.Task<IActionResult> Fetch(string url, HttpClient client)
    {
        // ruleid: csharp-ssrf, csharp-request-data
        var page = await client.GetStringAsync(url);
        // ok: csharp-ssrf
        var status = await client.GetStringAsync("https://example.org/status");
        return Ok(page + status);
    }
}

public class Helper
{
    public void Run(string name)
    {
        // ok: csharp-command-injection
        Process.Start(name);
    }
}
