// Fixture for server/manyeyes/agents/analyzers/rules/csharp.yaml (semgrep --test). Deliberately vulnerable.
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Runtime.Serialization.Formatters.Binary;
using System.Security.Cryptography;
using System.Xml;
using System.Xml.Serialization;
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

    public IActionResult Import(HttpClient client)
    {
        // ruleid: csharp-request-data
        var url = HttpContext.Request.Query["url"].ToString();
        // ruleid: csharp-ssrf
        var page = client.GetAsync(url);
        return Ok(page);
    }

    public IActionResult Search(string keyword, ShopContext shop)
    {
        // ruleid: csharp-request-data
        var query = $"SELECT * FROM Products WHERE name LIKE '%{keyword}%'";
        // ruleid: csharp-sql-injection
        var found = shop.Products.FromSql(query).ToList();
        // safe look-alike for csharp-sql-injection (an interpolated string in the call is parameterized):
        // ruleid: csharp-request-data
        var kept = shop.Products.FromSql($"SELECT * FROM Products WHERE name = {keyword}").ToList();
        return Ok(found.Concat(kept));
    }

    public IActionResult Entities()
    {
        var document = new XmlDocument();
        // ruleid: csharp-request-data
        document.Load(HttpContext.Request.Body);
        var typeName = document.DocumentElement.GetAttribute("Type");
        // ruleid: csharp-deserialization
        var serializer = new XmlSerializer(Type.GetType(typeName));
        // ok: csharp-deserialization
        var fixedType = new XmlSerializer(typeof(Product));
        return Ok(serializer.Deserialize(new StringReader(document.DocumentElement.InnerXml)));
    }
}

public class Passwords
{
    public byte[] Hash(byte[] password)
    {
        // ruleid: csharp-weak-hash
        var md5 = MD5.Create();
        // ok: csharp-weak-hash
        var sha = SHA256.Create();
        return md5.ComputeHash(password);
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

public class Startup
{
    public void ConfigureServices(IServiceCollection services, byte[] key)
    {
        services.AddAuthentication().AddJwtBearer(options => {
            options.TokenValidationParameters = new TokenValidationParameters
            {
                // ruleid: csharp-jwt-validation-off
                ValidateAudience = false,
                // ok: csharp-jwt-validation-off
                ValidateIssuerSigningKey = true,
                IssuerSigningKey = new SymmetricSecurityKey(key)
            };
        });
    }
}
