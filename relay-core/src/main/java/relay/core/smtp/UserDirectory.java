package relay.core.smtp;

import java.util.Map;

/** The users who may AUTH, with their passwords stored only as {@link PasswordHash} strings. */
public final class UserDirectory {

    private final Map<String, PasswordHash> users;

    public UserDirectory(Map<String, PasswordHash> users) {
        this.users = Map.copyOf(users);
    }

    /** Checks a password in constant time for known users and takes as long for unknown ones. */
    public boolean verify(String user, String password) {
        PasswordHash hash = users.get(user);
        if (hash == null) {
            PasswordHash.DECOY.verify(password);
            return false;
        }
        return hash.verify(password);
    }

    public boolean isEmpty() {
        return users.isEmpty();
    }
}
