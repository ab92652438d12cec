/**
 * The box's owner: the setup code that guards the first run, the admin password, and the box name the owner
 * chose. Until setup is done the box has a setup code (made once, kept across restarts); setup stores the
 * password's scrypt hash and deletes the code.
 */
import { ChaiboxError } from "../errors.js";
import type { StateDatabase } from "../state/db.js";
import { hashPassword, verifyPassword } from "./password.js";
import { humanCode, normalizeCode, sameSecret, SETUP_CODE_ALPHABET } from "./secrets.js";

/** Shortest admin password accepted. */
export const MIN_PASSWORD_LENGTH = 8;

export class AdminAccount {
  constructor(private readonly db: StateDatabase) {}

  private read(key: string): string | undefined {
    return this.db.prepare<[string], { value: string }>("SELECT value FROM auth_settings WHERE key = ?").get(key)?.value;
  }

  private write(key: string, value: string): void {
    this.db.prepare<[string, string]>("INSERT INTO auth_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  /** Whether an admin password has been set (the first-run setup is done). */
  isSetUp(): boolean {
    return this.read("password_hash") !== undefined;
  }

  /**
   * The setup code, created on first use; undefined once setup is done. Safe when two processes ask at once:
   * the first insert wins and both read it back.
   */
  setupCode(): string | undefined {
    if (this.isSetUp()) return undefined;
    this.db.prepare<[string]>("INSERT OR IGNORE INTO auth_settings (key, value) VALUES ('setup_code', ?)").run(humanCode(SETUP_CODE_ALPHABET));
    return this.read("setup_code");
  }

  /**
   * Checks a setup code typed by a person (case, spaces and dashes do not matter).
   * @throws ChaiboxError `setup_done` after setup, `invalid_credentials` for a wrong code.
   */
  checkSetupCode(code: string): void {
    const expected = this.setupCode();
    if (expected === undefined) throw new ChaiboxError("setup_done", "This box is already set up: sign in with the admin password.");
    if (!sameSecret(normalizeCode(code), normalizeCode(expected))) {
      throw new ChaiboxError("invalid_credentials", "Wrong setup code. 'chaibox setup-code' on the box prints it, and the service log shows it.");
    }
  }

  /**
   * The first-run setup: checks the code, stores the password (and the box name, when given) and deletes the
   * code, all or nothing. Of two setups racing with the right code, one wins; the other gets `setup_done`.
   */
  async completeSetup(code: string, password: string, boxName?: string): Promise<void> {
    this.checkSetupCode(code);
    const hash = await hashPassword(password);
    this.db.transaction(() => {
      if (this.isSetUp()) throw new ChaiboxError("setup_done", "This box is already set up: sign in with the admin password.");
      this.write("password_hash", hash);
      this.write("setup_completed_at", new Date().toISOString());
      if (boxName !== undefined) this.write("box_name", boxName);
      this.db.prepare("DELETE FROM auth_settings WHERE key = 'setup_code'").run();
    })();
  }

  /**
   * Checks the admin password.
   * @throws ChaiboxError `setup_required` before setup, `invalid_credentials` for a wrong password.
   */
  async checkPassword(password: string): Promise<void> {
    const hash = this.read("password_hash");
    if (hash === undefined) throw new ChaiboxError("setup_required", "This box is not set up yet: open its page and enter the setup code first.");
    if (!(await verifyPassword(password, hash))) throw new ChaiboxError("invalid_credentials", "Wrong password.");
  }

  /** Replaces the admin password after checking the current one. */
  async changePassword(current: string, next: string): Promise<void> {
    await this.checkPassword(current);
    this.write("password_hash", await hashPassword(next));
  }

  /** The box name the owner chose (setup, settings); undefined when never set. */
  boxName(): string | undefined {
    return this.read("box_name");
  }

  setBoxName(name: string): void {
    this.write("box_name", name);
  }
}
