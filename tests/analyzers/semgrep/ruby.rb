# Fixture for server/manyeyes/agents/analyzers/rules/ruby.yaml (semgrep --test). Deliberately vulnerable.
class ToolsController < ApplicationController
  def ping
    # ruleid: ruby-request-data
    host = params[:host]
    # ruleid: ruby-command-injection
    system("ping -c 1 #{host}")
    # ok: ruby-command-injection
    system("uptime")
  end

  def calc
    # ruleid: ruby-code-injection, ruby-request-data
    eval(params[:expr])
    # ok: ruby-code-injection
    eval("1 + 1")
  end

  def search
    # ruleid: ruby-request-data
    name = params[:name]
    # ruleid: ruby-sql-injection
    User.where("name = '#{name}'")
    # ok: ruby-sql-injection
    User.where("name = ?", name)
    # ok: ruby-sql-injection
    User.where(name: name)
  end

  def download
    # ruleid: ruby-request-data
    file = params[:file]
    # ruleid: ruby-path-traversal
    send_file("/var/files/#{file}")
    # ok: ruby-path-traversal
    send_file("/var/files/#{File.basename(file)}")
  end

  def back
    # ruleid: ruby-open-redirect, ruby-request-data
    redirect_to(params[:next])
    # ok: ruby-open-redirect
    redirect_to("/home")
  end

  def restore
    # ruleid: ruby-deserialization, ruby-request-data
    cart = Marshal.load(cookies[:cart])
    # ruleid: ruby-request-data
    safe = JSON.parse(cookies[:cart])
  end
end
