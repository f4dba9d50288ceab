import { h, type SafeHtml } from "../html.ts";
import { Layout } from "../layouts/base.tsx";

export function LoginPage(model: { next: string }): SafeHtml {
  return (
    <Layout title="Sign in" user={null} csrfToken={null}>
      <section class="card login">
        <h1>Sign in</h1>
        <form
          class="stack"
          method="post"
          action="/login"
          hx-post="/login"
          hx-target="#login-result"
          hx-swap="innerHTML"
        >
          <input type="hidden" name="next" value={model.next} />
          <label>
            Username
            <input name="username" autocomplete="username" required autofocus />
          </label>
          <label>
            Password
            <input name="password" type="password" autocomplete="current-password" required />
          </label>
          <button type="submit">Sign in</button>
          <div id="login-result" aria-live="polite"></div>
        </form>
      </section>
    </Layout>
  );
}
